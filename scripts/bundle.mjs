// `node scripts/bundle.mjs <entry.ts> <out.js>`: one ESM file for plain Node,
// so the bot runs without a TypeScript loader (tsx keeps a second V8 isolate in
// every process). Packages stay in node_modules; files read at run
// time are found from the project folder (src/paths.ts), not from the bundle.
import process from "node:process";
import { build } from "esbuild";

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  process.stderr.write("usage: node scripts/bundle.mjs <entry.ts> <out.js>\n");
  process.exit(2);
}
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
