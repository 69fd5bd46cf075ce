import { readdir, readFile } from "node:fs/promises";

/**
 * The worker processes of a `WORKERS > 1` primary: its children running
 * src/main.ts (tsx's own helper processes are not workers). Read from /proc,
 * so it sees what the kernel sees, not what the primary believes.
 */
export async function workerPids(primary: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (parent !== primary) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("src/main.ts")) pids.push(Number(entry));
  }
  return pids;
}
