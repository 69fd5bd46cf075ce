import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { startLinli } from "../src/main.ts";
import { createPostgresDatabase } from "./support/databases.ts";

async function ask(httpUrl: string, clientId: string, text: string): Promise<string> {
  const response = await fetch(`${httpUrl}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ clientId, messageId: randomUUID(), message: { type: "text", text } }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { replies: { text?: string }[] };
  return body.replies.map((reply) => reply.text ?? "").join("\n");
}

describe("the server deployment (PostgreSQL and Redis)", () => {
  it("starts on PostgreSQL and Redis, loads the town once, answers the lookup and reports both healthy", async () => {
    const env = {
      DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-server-")),
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: inject("redisUrl"),
      PORT: "0",
      LOG_LEVEL: "silent",
    };
    const first = await startLinli(loadConfig(env));
    try {
      expect(await ask(first.httpUrl, `client-${randomUUID().slice(0, 8)}`, "紫竹半岛归哪个片区管？")).toContain("紫竹半岛居民区 属于【第四片区】");
      const health = await fetch(`${first.httpUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok", database: { kind: "postgres", ok: true }, sessions: { kind: "redis", ok: true } });
    } finally {
      await first.stop();
    }

    // A second instance on the same database applies no migration twice and keeps the data.
    const second = await startLinli(loadConfig(env));
    try {
      expect(await ask(second.httpUrl, `client-${randomUUID().slice(0, 8)}`, "永德路12号")).toContain("永德路12号 属于【第二片区】");
    } finally {
      await second.stop();
    }
  });

  it("two instances sharing PostgreSQL and Redis keep one conversation going across both", async () => {
    const env = { DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-pair-")), DATABASE_URL: await createPostgresDatabase(), REDIS_URL: inject("redisUrl"), PORT: "0", LOG_LEVEL: "silent" };
    const [a, b] = await Promise.all([startLinli(loadConfig(env)), startLinli(loadConfig(env))]);
    try {
      const clientId = `client-${randomUUID().slice(0, 8)}`;
      expect(await ask(a.httpUrl, clientId, "/lang en")).toContain("Language set to English.");
      expect(await ask(b.httpUrl, clientId, "紫竹半岛")).toContain("Zizhu Peninsula Neighbourhood belongs to【District 4】");
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe("the embedded deployment", () => {
  it("GET /healthz reports the embedded database and memory sessions", async () => {
    const running = await startLinli(loadConfig({ DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-embedded-")), PORT: "0", LOG_LEVEL: "silent" }));
    try {
      const health = await fetch(`${running.httpUrl}/healthz`);
      expect(await health.json()).toEqual({ status: "ok", database: { kind: "pglite", ok: true }, sessions: { kind: "memory", ok: true } });
    } finally {
      await running.stop();
    }
  });
});
