import { benchLookup } from "./lookup.ts";

/**
 * `npm run bench`: prints the project's performance figures as a table and as
 * JSON (for comparing runs). Timings are measured here and only here, never in
 * unit tests.
 */
const lookup = benchLookup(250, 20);
const rows = [
  ["lookup, 500 neighbourhoods and roads", `${lookup.lookups} lookups`, `mean ${(lookup.meanMs * 1000).toFixed(1)} µs`, `p50 ${(lookup.p50Ms * 1000).toFixed(1)} µs`, `p99 ${(lookup.p99Ms * 1000).toFixed(1)} µs`],
];
for (const row of rows) process.stdout.write(`${row.join(" | ")}\n`);
process.stdout.write(`${JSON.stringify({ lookup }, null, 2)}\n`);
