import { spawn, type ChildProcess } from "node:child_process";

/** A redis-server child process on loopback, without persistence. */
export interface RedisServer {
  url: string;
  port: number;
  /** Kills the server at once (SIGKILL), as a crash would; resolves when it has exited. */
  kill(): Promise<void>;
}

/** Starts redis-server on `port` and resolves once it accepts connections. */
export async function startRedisServer(port: number): Promise<RedisServer> {
  const child: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`redis-server could not start (install it: apt-get install redis-server): ${error.message}`)));
    child.once("exit", (code) => reject(new Error(`redis-server on port ${port} exited with ${code}`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("Ready to accept connections")) resolve();
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
