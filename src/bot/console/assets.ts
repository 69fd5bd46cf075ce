import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { PROJECT_ROOT } from "../../paths.ts";
import type { HttpRequest, HttpResponse, Route } from "../http/route.ts";
import { jsonError } from "../http/server.ts";

/** Raised when a page script does not bundle: a fault of the code, never of a request. */
export class ConsoleAssetError extends Error {
  constructor(
    readonly asset: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${asset}: ${message}`, options);
    this.name = "ConsoleAssetError";
  }
}

const CLIENT_DIR = path.join(PROJECT_ROOT, "src/bot/console/client");
const require = createRequire(path.join(PROJECT_ROOT, "package.json"));

/** Style sheets of the map libraries, served as their packages ship them. */
const VENDOR_STYLES: Record<string, string> = {
  "leaflet.css": "leaflet/dist/leaflet.css",
  "MarkerCluster.Default.css": "leaflet.markercluster/dist/MarkerCluster.Default.css",
};

interface Asset {
  type: string;
  body: Buffer;
  gzipped: Buffer;
  etag: string;
}

/**
 * The console's scripts and style sheets at `/console/assets/<name>`. Each
 * page has its own script, `client/<page>.ts`, bundled with esbuild the first
 * time it is asked for (tree-shaken and minified, so a page carries only the
 * parts of ECharts or Leaflet it uses) and then kept in memory; `client/*.css`
 * and the map libraries' style sheets are served as they are. Responses carry
 * an ETag and are revalidated (`no-cache`), and are gzipped when the browser
 * accepts it. The list of names is read once at start: any other name is 404.
 */
export function createConsoleAssets(): { routes: Route[]; bundleAll(): Promise<string[]> } {
  const files = readdirSync(CLIENT_DIR);
  const scripts = files.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts")).map((file) => file.replace(/\.ts$/, ".js"));
  const styles = files.filter((file) => file.endsWith(".css"));
  const cache = new Map<string, Promise<Asset>>();

  const load = (name: string): Promise<Asset> | undefined => {
    const known = cache.get(name);
    if (known) return known;
    let loading: Promise<Asset>;
    if (scripts.includes(name)) loading = bundle(name).then((code) => asset("text/javascript; charset=utf-8", code));
    else if (styles.includes(name)) loading = Promise.resolve(asset("text/css; charset=utf-8", readFileSync(path.join(CLIENT_DIR, name))));
    else if (VENDOR_STYLES[name])
      loading = Promise.resolve(asset("text/css; charset=utf-8", readFileSync(require.resolve(VENDOR_STYLES[name]))));
    else return undefined;
    // A failed bundle is not cached: the next request tries again (and logs again) rather than serving a stale failure.
    loading.catch(() => cache.delete(name));
    cache.set(name, loading);
    return loading;
  };

  const route: Route = {
    method: "GET",
    path: "/console/assets/*",
    async handle(request: HttpRequest): Promise<HttpResponse> {
      const name = request.path.slice(request.path.lastIndexOf("/") + 1);
      const found = load(name);
      if (!found) return jsonError(404, "not_found", { zh: "找不到这个文件。", en: "There is no such file." });
      const file = await found;
      const headers = { "Content-Type": file.type, "Cache-Control": "no-cache", ETag: file.etag, Vary: "Accept-Encoding" };
      if (request.headers["if-none-match"] === file.etag) return { status: 304, headers };
      const gzip = /\bgzip\b/.test(request.headers["accept-encoding"] ?? "");
      return gzip
        ? { status: 200, headers: { ...headers, "Content-Encoding": "gzip" }, body: file.gzipped }
        : { status: 200, headers, body: file.body };
    },
  };

  return {
    routes: [route],
    /** Bundles every page script now (tests call this so a script that does not build fails there); returns the script names. */
    async bundleAll() {
      await Promise.all(scripts.map((name) => load(name)));
      return scripts;
    },
  };
}

async function bundle(name: string): Promise<Buffer> {
  const entry = path.join(CLIENT_DIR, name.replace(/\.js$/, ".ts"));
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: "iife",
      platform: "browser",
      target: "es2020",
      minify: true,
      // The libraries' licence notices travel with the code that carries them.
      legalComments: "eof",
      logLevel: "silent",
    });
    const output = result.outputFiles[0];
    if (!output) throw new ConsoleAssetError(name, "esbuild produced no output");
    return Buffer.from(output.contents);
  } catch (error) {
    if (error instanceof ConsoleAssetError) throw error;
    throw new ConsoleAssetError(name, "the page script does not bundle", { cause: error });
  }
}

function asset(type: string, body: Buffer): Asset {
  return { type, body, gzipped: gzipSync(body), etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` };
}
