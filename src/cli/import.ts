import { readFile } from "node:fs/promises";
import { runFromCommandLine } from "../admin/command-line.ts";
import { parseTownFile } from "../towndata/town-file.ts";

/*
 * `npm run import -- <file>`: validates a town-data file and loads it into the
 * configured database (PGlite in DATA_DIR, or DATABASE_URL). The file is fully
 * validated before anything is sent or opened, so a bad file never touches the
 * database. With the embedded database a running Linli imports it itself
 * (src/admin/command-line.ts) and answers from the new data at once.
 * Exit codes: 0 imported or unchanged, 1 bad file / configuration / failure, 2 usage.
 */

const err = (line: string) => process.stderr.write(`${line}\n`);

async function main(args: readonly string[]): Promise<number> {
  const file = args[0];
  if (file === undefined || args.length > 1) {
    err("用法 / usage: npm run import -- <town-data.yaml>");
    return 2;
  }
  return runFromCommandLine(async () => {
    const content = await readFile(file);
    parseTownFile(file, content);
    return { command: "import", file, contentBase64: content.toString("base64") };
  }, "npm run import");
}

process.exitCode = await main(process.argv.slice(2));
