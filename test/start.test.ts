import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const READY = /is running: open (http:\/\/\S+) to chat\./;

describe("npm start", () => {
  it(
    "bundles the bot into dist/main.js and runs it from there: the chat page, the lookup and a clean stop",
    { timeout: 90_000 },
    async () => {
      const npm = spawn("npm", ["start"], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-npm-start-")),
          PORT: "0",
          LOG_LEVEL: "warn",
        },
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group, so the test can stop npm, the shell and the bot together.
        detached: true,
      });
      let output = "";
      npm.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      // "close": npm and the bot it started share the output pipes, which close when both have exited.
      const exited = new Promise<void>((resolve) => npm.once("close", () => resolve()));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          npm.stdout.on("data", (chunk: Buffer) => {
            output += chunk.toString("utf8");
            const ready = READY.exec(output);
            if (ready?.[1]) resolve(ready[1]);
          });
          npm.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output.slice(-2000)}`)));
        });
        expect((await stat(path.join(ROOT, "dist/main.js"))).isFile()).toBe(true);

        const page = await fetch(url);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<html lang="zh-CN">');

        const answer = await fetch(`${url}/api/chat`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            clientId: `client-${randomUUID().slice(0, 8)}`,
            messageId: randomUUID(),
            message: { type: "text", text: "紫竹半岛" },
          }),
        });
        const body = (await answer.json()) as { replies: { text?: string }[] };
        expect(body.replies[0]?.text).toContain("紫竹半岛居民区 属于【第四片区】");
      } finally {
        process.kill(-npm.pid!, "SIGTERM");
        await exited;
      }
      expect(output).toContain("Linli (邻里) has stopped.");
      expect(output).not.toMatch(/"level":"error"/);
    },
  );
});
