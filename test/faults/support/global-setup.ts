import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Folder where every fault test writes the app's log lines, one file per app instance, for the final log scan. */
    faultLogDir: string;
  }
}

/** Creates the folder the fault suite collects the app's log lines in; removed after the run. */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), "linli-fault-logs-"));
  project.provide("faultLogDir", dir);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
