import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, stat } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningLinli } from "../../src/app.ts";
import { TINY_PNG } from "../support/town.ts";
import { startApp } from "./support/app.ts";

const MIB = 1024 * 1024;
const PHOTO_BYTES = MIB;
const UNATTACHED_MAX_BYTES = 8 * MIB;
const PER_ADDRESS = 5;
/** Two machines on loopback: Linux answers for all of 127.0.0.0/8, so a client may send from either. */
const ADDRESSES = ["127.0.0.1", "127.0.0.2"] as const;
const UPLOADS_PER_ADDRESS = 40;

/** A distinct image of exactly `PHOTO_BYTES`: a PNG's signature is all the store reads. */
const photo = (seed: number) => {
  const head = TINY_PNG(seed);
  return Buffer.concat([head, Buffer.alloc(PHOTO_BYTES - head.length, seed % 251)]);
};

/** One upload from `localAddress` with a fresh client id each time, as a script making up identities would. */
function upload(
  url: string,
  localAddress: string,
  body: Buffer,
): Promise<{ status: number; body: { error?: { code: string; message: { zh: string; en: string } } } }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/upload`,
      {
        method: "POST",
        localAddress,
        agent: false,
        headers: { "content-type": "image/png", "x-client-id": `flood-${randomUUID().slice(0, 12)}`, "content-length": body.length },
      },
      (res) => {
        let data = "";
        res.on("data", (chunk: Buffer) => (data += chunk.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) as never }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** The embedded default under an upload flood: photos no report uses are bounded per address and in total, and /healthz says how full the folder is. */
describe("an upload flood from two addresses", () => {
  let app: RunningLinli;
  let mediaDir: string;

  beforeAll(async () => {
    mediaDir = await mkdtemp(path.join(tmpdir(), "linli-flood-media-"));
    app = await startApp("upload-flood", {
      MEDIA_DIR: mediaDir,
      MEDIA_MAX_BYTES: String(PHOTO_BYTES),
      UPLOAD_UNATTACHED_MAX_BYTES: String(UNATTACHED_MAX_BYTES),
      UPLOAD_UNATTACHED_PER_ADDRESS: String(PER_ADDRESS),
      UPLOAD_UNATTACHED_PER_CLIENT: "3",
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it(`${UPLOADS_PER_ADDRESS} one-megabyte uploads from each of two addresses under made-up visitor ids leave at most ${PER_ADDRESS} photos per address and ${UNATTACHED_MAX_BYTES / MIB} MB in all, refusing the rest politely in Chinese and English`, async () => {
    // One address after the other: the first meets its own quota, the second the bound of everyone's unattached photos.
    const answers = [];
    for (const [a, address] of ADDRESSES.entries()) {
      for (let i = 0; i < UPLOADS_PER_ADDRESS; i++) answers.push(await upload(app.httpUrl, address, photo(a * 1000 + i)));
    }

    const stored = answers.filter((answer) => answer.status === 200);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThanOrEqual(ADDRESSES.length * PER_ADDRESS);
    const refused = answers.filter((answer) => answer.status !== 200);
    expect(new Set(refused.map((answer) => `${answer.status} ${answer.body.error?.code}`))).toEqual(
      new Set(["429 upload_quota", "507 storage_full", "429 rate_limited"]),
    );
    for (const answer of refused) {
      expect(answer.body.error?.message.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(answer.body.error?.message.en).toMatch(/^[\x20-\x7e]+$/);
    }

    const onDisk = await folderBytes(mediaDir);
    expect(onDisk).toBeLessThanOrEqual(UNATTACHED_MAX_BYTES);
    expect(onDisk).toBe(stored.length * PHOTO_BYTES);
    const health = (await (await fetch(`${app.httpUrl}/healthz`)).json()) as {
      media: { bytesUsed: number; maxTotalBytes: number; unattached: number };
    };
    expect(health.media).toEqual({ bytesUsed: onDisk, maxTotalBytes: 2 * 1024 * MIB, unattached: stored.length, unattachedBytes: onDisk });
  });
});
