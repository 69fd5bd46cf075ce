import { readdir, readFile } from "node:fs/promises";
import { SourceMap } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * `tsx bench/profile-summary.ts <folder>`: summarises the V8 CPU profiles that
 * `npm run bench -- --profile` wrote (one per Linli process; run.ts prints the
 * summary itself after such a run),
 * so the question "where does an update's CPU go" has an answer in the terminal:
 * self time by package or source file, by function, and the inclusive time of
 * the project's own functions. Profiles that are nearly all idle (the module
 * loader's thread, a cluster's primary) are skipped. The benchmark profiles the
 * bundle `npm start` runs; its source map turns bundle positions back into
 * src/ files and lines.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = `file://${path.resolve(import.meta.dirname, "..")}/`;

function where(url: string): string {
  const local = url.startsWith(ROOT) ? url.slice(ROOT.length) : url;
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(local);
  return inModules ? `npm:${inModules[1]}` : local;
}

function add(map: Map<string, number>, key: string, value: number) {
  map.set(key, (map.get(key) ?? 0) + value);
}

/** The bundles' source maps, by the bundle's URL; undefined for code that is not bundled (node_modules, Node itself). */
async function sourceMapsOf(profile: CpuProfile): Promise<Map<string, SourceMap>> {
  const maps = new Map<string, SourceMap>();
  const bundles = new Set(
    profile.nodes.map((node) => node.callFrame.url).filter((url) => url.startsWith(`${ROOT}dist/`) && url.endsWith(".js")),
  );
  for (const url of bundles) {
    const text = await readFile(`${fileURLToPath(url)}.map`, "utf8").catch(() => undefined);
    if (text) maps.set(url, new SourceMap(JSON.parse(text) as ConstructorParameters<typeof SourceMap>[0]));
  }
  return maps;
}

/** Where a frame's code was written: through the bundle's source map when it has one. */
function originalFrame(frame: ProfileNode["callFrame"], maps: Map<string, SourceMap>): ProfileNode["callFrame"] {
  const map = maps.get(frame.url);
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber);
  if (!entry || !("originalSource" in entry)) return frame;
  const source = entry.originalSource.startsWith("file:")
    ? entry.originalSource
    : pathToFileURL(path.resolve(path.dirname(fileURLToPath(frame.url)), entry.originalSource)).href;
  return { ...frame, url: source, lineNumber: entry.originalLine };
}

function summarise(profile: CpuProfile, maps: Map<string, SourceMap>): string | undefined {
  const nodes = new Map(profile.nodes.map((node) => [node.id, { ...node, callFrame: originalFrame(node.callFrame, maps) }]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, time] of selfTime) {
    const frame = nodes.get(id)!.callFrame;
    add(byPlace, where(frame.url) || frame.functionName, time);
    add(byFunction, `${frame.functionName || "(anonymous)"} ${where(frame.url)}:${frame.lineNumber + 1}`, time);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const { url, functionName, lineNumber } = nodes.get(at)!.callFrame;
      const place = where(url);
      if (!place.startsWith("src/")) continue;
      const key = `${functionName || "(anonymous)"} ${place}:${lineNumber + 1}`;
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + time);
      seen.add(key);
    }
  }
  const idle = [...byPlace].find(([key]) => key === "(idle)")?.[1] ?? 0;
  if (idle > 0.9 * total) return undefined;
  const top = (map: Map<string, number>, count: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, time]) => `${((100 * time) / total).toFixed(1).padStart(6)}%  ${key}`)
      .join("\n");
  return [
    `${(total / 1e6).toFixed(1)} s sampled`,
    "self time by package or file:",
    top(byPlace, 20),
    "self time by function:",
    top(byFunction, 25),
    "inclusive time of src/ functions (synchronous part only: awaits cut the stack):",
    top(inclusive, 20),
  ].join("\n");
}

async function profilesIn(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".cpuprofile"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** The summaries of every busy profile under `folder`, one after another. */
export async function summariseProfiles(folder: string): Promise<string> {
  const parts: string[] = [];
  for (const file of await profilesIn(folder)) {
    const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
    const summary = summarise(profile, await sourceMapsOf(profile));
    if (summary) parts.push(`== ${path.relative(process.cwd(), file)}\n${summary}\n`);
  }
  return parts.join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${await summariseProfiles(process.argv[2] ?? path.resolve(import.meta.dirname, "../bench-results/profiles"))}\n`);
}
