import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { collectChildOutput } from "./logs.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const READY = /is running: open (http:\/\/\S+) to chat\./;

/** The app as `npm start` runs it, in a process of its own that a test can SIGKILL. */
export interface AppProcess {
  /** Where its HTTP server listens. */
  readonly httpUrl: string;
  /** Everything it wrote on stdout and stderr so far. */
  output(): string;
  /** Its process id (with WORKERS > 1, the primary's). */
  readonly pid: number;
  /** Kills the process with SIGKILL, as the kernel's OOM killer or a power cut would; resolves once it is gone. */
  kill(): Promise<void>;
}

/**
 * Starts `src/main.ts` with `env` (added to this process's environment) and
 * resolves once it says it is running. Its stdout and stderr go to the fault
 * suite's log collection under `name`; every start appends to the same file.
 */
export async function startAppProcess(name: string, env: Record<string, string>): Promise<AppProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  collectChildOutput(name, child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const httpUrl = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const ready = READY.exec(output);
      if (ready?.[1]) {
        child.stdout?.off("data", onData);
        resolve(ready[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code, signal) =>
      reject(new Error(`the app exited (${code ?? signal}) before it was running:\n${output.slice(-2000)}`)),
    );
  });
  return {
    httpUrl,
    output: () => output,
    pid: child.pid!,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
