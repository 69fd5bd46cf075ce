import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The project's folder (the one holding package.json). Files Linli reads at
 * run time (migrations, the chat page, the town-data schema) are found from
 * here rather than from the calling module, because the module is either in
 * src/ (under tsx) or bundled into dist/main.js (`npm start`), at different depths.
 */
export const PROJECT_ROOT = projectRootAbove(import.meta.dirname);

function projectRootAbove(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}: Linli must run from its project folder`);
  }
}
