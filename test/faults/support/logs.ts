import type { ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { inject } from "vitest";
import type { Config } from "../../../src/config.ts";
import { createLogger, type Logger } from "../../../src/log.ts";

const fileFor = (name: string) => path.join(inject("faultLogDir"), `${name.replace(/[^\w-]+/g, "-")}.log`);

/**
 * The logger an in-process app gets in a fault test: the one startLinli would
 * build (debug level, the configuration's secrets), writing to a file the final
 * log scan reads instead of stderr. Debug level on purpose: the more the app
 * says, the more the scan checks.
 */
export function collectingLogger(name: string, config: Config): Logger {
  const file = fileFor(name);
  return createLogger({ level: "debug", secrets: config.secrets, sink: (line) => appendFileSync(file, `${line}\n`) });
}

/** Appends everything a child process writes on stdout and stderr to the log file the final scan reads. */
export function collectChildOutput(name: string, child: ChildProcess): void {
  const file = fileFor(name);
  const append = (chunk: Buffer) => appendFileSync(file, chunk);
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
}

/** Every line the fault suite collected so far, each with the file it came from. */
export async function collectedLines(): Promise<{ file: string; line: string }[]> {
  const dir = inject("faultLogDir");
  const lines: { file: string; line: string }[] = [];
  for (const file of await readdir(dir)) {
    const text = await readFile(path.join(dir, file), "utf8");
    for (const line of text.split("\n")) if (line.trim() !== "") lines.push({ file, line });
  }
  return lines;
}
