import { createCipheriv, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getSignature } from "@wecom/crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createWecomCrypto } from "../../../../src/bot/channels/wecom/crypto.ts";
import { loadConfig } from "../../../../src/config.ts";
import { createLogger } from "../../../../src/log.ts";
import { startLinli } from "../../../../src/app.ts";
import { createPostgresDatabase } from "../../../support/databases.ts";
import { startFakeWecomBot, streamText, type FakeWecomBot } from "../../../support/fake-wecom-bot.ts";
import { SAMPLE_TOWN_FILE } from "../../../support/town.ts";
import { seededRandom } from "../../../support/seeded-random.ts";

const now = () => Math.floor(Date.now() / 1000);

/** Padding that says 32 in its last byte but not in the others, which the official package would accept. */
const inconsistentPadding = (length: number) => Buffer.concat([Buffer.alloc(1, 1), Buffer.alloc(length - 1, length)]);
/** A padding byte of 0, which PKCS#7 never produces. */
const zeroPadding = (length: number) => Buffer.alloc(length, 0);

/** Encrypts a hand-built plaintext frame (random, length, message, id, padding) the way WeCom would, but with the parts chosen by the test. */
function frame(
  encodingAesKey: string,
  parts: { declaredLength?: number; message: string; id?: string; padding?: (length: number) => Buffer },
): string {
  const key = Buffer.from(`${encodingAesKey}=`, "base64");
  const message = Buffer.from(parts.message);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(parts.declaredLength ?? message.length);
  const body = Buffer.concat([randomBytes(16), length, message, Buffer.from(parts.id ?? "")]);
  const pad = 32 - (body.length % 32);
  const cipher = createCipheriv("aes-256-cbc", key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([
    cipher.update(Buffer.concat([body, parts.padding ? parts.padding(pad) : Buffer.alloc(pad, pad)])),
    cipher.final(),
  ]).toString("base64");
}

describe("the WeCom callback refuses bad input cleanly", () => {
  let fake: FakeWecomBot;
  let dir: string;
  let stopApp: () => Promise<void>;
  let httpUrl: string;
  const logLines: string[] = [];

  const message = (text: string, msgid = `m-${randomBytes(6).toString("hex")}`) => ({
    msgid,
    aibotid: "AIBOT_TEST",
    chattype: "single",
    from: { userid: "fuzzer" },
    response_url: `${fake.url}/response/${msgid}`,
    msgtype: "text",
    text: { content: text },
  });

  /** POSTs `ciphertext` with a correct signature, so the request reaches the decryption. */
  const signedPost = (ciphertext: string, nonce = randomBytes(6).toString("hex")) => {
    const timestamp = String(now());
    const query = new URLSearchParams({ msg_signature: getSignature(fake.token, timestamp, nonce, ciphertext), timestamp, nonce });
    return fake.raw(query.toString(), JSON.stringify({ encrypt: ciphertext }));
  };

  beforeAll(async () => {
    fake = await startFakeWecomBot();
    dir = await mkdtemp(path.join(tmpdir(), "linli-wecom-security-"));
    const config = loadConfig({
      DATA_DIR: dir,
      PORT: "0",
      TOWN_DATA_FILE: SAMPLE_TOWN_FILE,
      WECOM_BOT_TOKEN: fake.token,
      WECOM_BOT_ENCODING_AES_KEY: fake.encodingAesKey,
      WECOM_CALLBACK_PATH: "/hooks/wecom",
      LOG_LEVEL: "debug",
    });
    const app = await startLinli(config, {
      logger: createLogger({ level: "debug", secrets: config.secrets, sink: (line) => logLines.push(line) }),
    });
    stopApp = app.stop;
    httpUrl = app.httpUrl;
    fake.target(`${app.httpUrl}/hooks/wecom`);
  });

  afterAll(async () => {
    await stopApp();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a well-formed message on the configured path is answered (the baseline the refusals are measured against)", async () => {
    const answer = await fake.callback(message("/help"));
    expect(answer.status).toBe(200);
    expect(streamText(answer)).toContain("常用命令");
  });

  it("a wrong signature, a stale or future timestamp, and a missing parameter are refused before decryption", async () => {
    expect((await fake.callback(message("/help"), { signature: "0".repeat(40) })).status).toBe(401);
    expect((await fake.callback(message("/help"), { signature: "not-hex" })).status).toBe(400);
    expect((await fake.callback(message("/help"), { timestamp: now() - 3600 })).status).toBe(401);
    expect((await fake.callback(message("/help"), { timestamp: now() + 3600 })).status).toBe(401);
    expect((await fake.raw("timestamp=1&nonce=abc", JSON.stringify({ encrypt: fake.seal("{}") }))).status).toBe(400);
    expect((await fake.verifyUrl("echo", { signature: "f".repeat(40) })).status).toBe(401);
  });

  it("a replayed nonce is refused, and a repeated msgid (WeCom's retry) is processed once and answered with the first answer", async () => {
    const first = message("/help");
    const answered = await fake.callback(first, { nonce: "nonce-once-1" });
    expect(answered.status).toBe(200);
    expect((await fake.callback(message("/help"), { nonce: "nonce-once-1" })).status).toBe(409);
    const retry = await fake.callback(first, { nonce: "nonce-once-2" });
    expect(retry.status).toBe(200);
    expect(retry.reply).toEqual(answered.reply);
    expect(retry.reply).toBeDefined();
  });

  it("a wrong receive id, malformed base64, bad padding and a declared length beyond the data are 4xx", async () => {
    expect((await fake.callback(message("/help"), { receiveId: "ww-someone-else" })).status).toBe(403);
    expect((await fake.verifyUrl("echo", { receiveId: "ww-someone-else" })).status).toBe(403);
    expect((await signedPost("this is not base64!")).status).toBe(400);
    expect((await signedPost(`${fake.seal(JSON.stringify(message("/help")))}AAAA`)).status).toBe(400);
    for (const padding of [inconsistentPadding, zeroPadding]) {
      expect((await signedPost(frame(fake.encodingAesKey, { message: JSON.stringify(message("/help")), padding }))).status).toBe(400);
    }
    expect(
      (await signedPost(frame(fake.encodingAesKey, { message: JSON.stringify(message("/help")), declaredLength: 1_000_000 }))).status,
    ).toBe(400);
    // A shorter declared length leaves the rest of the message where the receive id belongs.
    expect((await signedPost(frame(fake.encodingAesKey, { message: JSON.stringify(message("/help")), declaredLength: 5 }))).status).toBe(
      403,
    );
  });

  it("invalid JSON, outside or inside the envelope, and a callback of the wrong shape are 400", async () => {
    expect((await fake.raw(`msg_signature=${"a".repeat(40)}&timestamp=${now()}&nonce=n1`, "{not json")).status).toBe(400);
    expect((await fake.callback("this is not JSON")).status).toBe(400);
    expect((await fake.callback({ hello: "world" })).status).toBe(400);
    expect((await fake.callback({ ...message("x"), chattype: "channel" })).status).toBe(400);
  });

  it("a 2 MB body is refused with 413 without being read", async () => {
    const huge = JSON.stringify({ encrypt: "A".repeat(2 * 1024 * 1024) });
    expect((await fake.raw(`msg_signature=${"a".repeat(40)}&timestamp=${now()}&nonce=big`, huge)).status).toBe(413);
  });

  it("thousands of mutated ciphertexts each get a 4xx or a valid answer, never a 5xx, and the app keeps serving", async () => {
    const random = seededRandom(20_261_127);
    const base = fake.seal(JSON.stringify(message("紫竹半岛归哪个片区管？")));
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=!-_ \n%";
    const statuses = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(base, "base64");
      let mutated: string;
      switch (i % 5) {
        case 0: {
          const at = Math.floor(random() * bytes.length);
          bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
          mutated = bytes.toString("base64");
          break;
        }
        case 1:
          mutated = bytes.subarray(0, Math.floor(random() * bytes.length)).toString("base64");
          break;
        case 2:
          mutated = Buffer.concat([bytes, randomBytesFrom(random, 1 + Math.floor(random() * 64))]).toString("base64");
          break;
        case 3: {
          const at = Math.floor(random() * base.length);
          mutated = base.slice(0, at) + alphabet[Math.floor(random() * alphabet.length)] + base.slice(at + 1);
          break;
        }
        default:
          mutated = randomBytesFrom(random, 32 * (1 + Math.floor(random() * 8))).toString("base64");
      }
      const { status } = await signedPost(mutated, `fuzz${i}`);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(status === 200 || (status >= 400 && status < 500)).toBe(true);
    }
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    expect((await fetch(`${httpUrl}/healthz`)).status).toBe(200);
    expect((await fake.callback(message("/help"))).status).toBe(200);
  });

  it("the decryption itself never throws on 20 000 mutated payloads and opens only well-formed frames", () => {
    const crypto = createWecomCrypto({ token: fake.token, encodingAesKey: fake.encodingAesKey, receiveId: "" });
    const random = seededRandom(7);
    const base = Buffer.from(fake.seal(JSON.stringify(message("hello"))), "base64");
    const outcomes = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const bytes = Buffer.from(base);
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
        const at = Math.floor(random() * bytes.length);
        bytes[at] = bytes[at]! ^ (1 + Math.floor(random() * 255));
      }
      const result = crypto.open(bytes.subarray(0, bytes.length - (i % 7 === 0 ? Math.floor(random() * 40) : 0)).toString("base64"));
      outcomes.add(result.ok ? "ok" : result.reason);
      // CBC without a MAC: a changed first block only garbles the random prefix, so a frame can still open; the signature is what authenticates.
      if (result.ok) expect(result.plaintext).not.toBe(JSON.stringify(message("hello")));
      expect(crypto.openFile(bytes)).toSatisfy((value: Buffer | undefined) => value === undefined || Buffer.isBuffer(value));
    }
    expect(outcomes).toContain("malformed");
  });

  it("no log line and no answer carries the Token or the EncodingAESKey", async () => {
    const answer = await fake.callback(message("/help"), { signature: "1".repeat(40) });
    expect(answer.text).not.toContain(fake.token);
    const log = logLines.join("\n");
    expect(log).not.toContain(fake.token);
    expect(log).not.toContain(fake.encodingAesKey);
  });
});

function randomBytesFrom(random: () => number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

describe("replay protection across instances", () => {
  it("with Redis, a WeCom retry of a message handled by one instance gets the first answer from the other without being handled again, and a replayed nonce is refused", async () => {
    const fake = await startFakeWecomBot();
    const databaseUrl = await createPostgresDatabase();
    const dirs: string[] = [];
    const apps = [];
    for (let i = 0; i < 2; i++) {
      const dir = await mkdtemp(path.join(tmpdir(), `linli-wecom-instance-${i}-`));
      dirs.push(dir);
      apps.push(
        await startLinli(
          loadConfig({
            DATA_DIR: dir,
            PORT: "0",
            DATABASE_URL: databaseUrl,
            REDIS_URL: inject("redisUrl"),
            TOWN_DATA_FILE: SAMPLE_TOWN_FILE,
            WECOM_BOT_TOKEN: fake.token,
            WECOM_BOT_ENCODING_AES_KEY: fake.encodingAesKey,
            LOG_LEVEL: "silent",
          }),
        ),
      );
    }
    try {
      const msgid = `cross-${randomBytes(6).toString("hex")}`;
      const payload = {
        msgid,
        aibotid: "AIBOT_TEST",
        chattype: "single",
        from: { userid: "roamer" },
        msgtype: "text",
        text: { content: "/help" },
      };
      const nonce = `n${randomBytes(6).toString("hex")}`;
      fake.target(`${apps[0]!.httpUrl}/wecom/callback`);
      const answered = await fake.callback(payload, { nonce });
      expect(answered.status).toBe(200);
      fake.target(`${apps[1]!.httpUrl}/wecom/callback`);
      // The other instance finds the first answer in the shared Redis instead of handling the message again.
      const repeated = await fake.callback(payload);
      expect([repeated.status, repeated.reply]).toEqual([200, answered.reply]);
      expect((await fake.callback({ ...payload, msgid: `${msgid}-2` }, { nonce })).status).toBe(409);
      expect((await fake.callback({ ...payload, msgid: `${msgid}-3` })).status).toBe(200);
    } finally {
      for (const app of apps) await app.stop();
      await fake.close();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    }
  });
});
