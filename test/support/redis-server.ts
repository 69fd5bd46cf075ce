import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** A redis-server child process on loopback and a Unix socket. */
export interface RedisServer {
  url: string;
  /** The same server through its Unix socket, as `unix:///…/redis.sock`. */
  socketUrl: string;
  port: number;
  /** Kills the server at once (SIGKILL), as a crash would; resolves when it has exited. */
  kill(): Promise<void>;
}

/**
 * Starts redis-server on `port` and resolves once it accepts connections; its
 * folder and socket are removed when it exits. Tests run it without
 * persistence; `durable` appends every write to a log flushed each second
 * (`appendfsync everysec`), the usual production setting, for the benchmark.
 */
export async function startRedisServer(port: number, options: { durable?: boolean } = {}): Promise<RedisServer> {
  const dir = await mkdtemp(path.join(tmpdir(), "linli-redis-"));
  const socket = path.join(dir, "redis.sock");
  const persistence = options.durable ? ["--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec"] : ["--appendonly", "no"];
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--unixsocket", socket, "--unixsocketperm", "700", "--save", "", ...persistence],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  child.once("exit", () => void rm(dir, { recursive: true, force: true }));
  await new Promise<void>((resolve, reject) => {
    child.once("error", (error) =>
      reject(new Error(`redis-server could not start (install it: apt-get install redis-server): ${error.message}`)),
    );
    child.once("exit", (code) => reject(new Error(`redis-server on port ${port} exited with ${code}`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("Ready to accept connections")) resolve();
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    socketUrl: `unix://${socket}`,
    port,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
