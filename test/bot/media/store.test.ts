import { createHash } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { detectImage } from "../../../src/bot/media/store.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { TINY_PNG, TINY_TEXT_FILE } from "../../support/town.ts";
import { expectErrorLogs } from "../../support/logs.ts";
import { openMediaFixture, type MediaFixture } from "../../support/media-fixture.ts";

const MAX_BYTES = 64 * 1024;

// Each starts with its format's signature; the detector reads nothing else.
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from("JFIF\0"), Buffer.alloc(200, 7)]);
const WEBP = Buffer.concat([Buffer.from("RIFF"), Buffer.from([0xc8, 0, 0, 0]), Buffer.from("WEBPVP8L"), Buffer.alloc(200, 3)]);
const GIF = Buffer.concat([Buffer.from("GIF89a"), Buffer.alloc(40, 1)]);
// An iPhone photo: an ISO media file whose brand is heic.
const HEIC = Buffer.concat([
  Buffer.from([0, 0, 0, 0x18]),
  Buffer.from("ftypheic"),
  Buffer.from([0, 0, 0, 0]),
  Buffer.from("mif1heic"),
  Buffer.alloc(100),
]);

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("recognising images by their bytes", () => {
  it("knows PNG, JPEG, WebP and GIF by their magic bytes", () => {
    expect(detectImage(TINY_PNG(1))).toEqual({ mimeType: "image/png", extension: "png" });
    expect(detectImage(JPEG)).toEqual({ mimeType: "image/jpeg", extension: "jpg" });
    expect(detectImage(WEBP)).toEqual({ mimeType: "image/webp", extension: "webp" });
    expect(detectImage(GIF)).toEqual({ mimeType: "image/gif", extension: "gif" });
  });

  it("takes a text file, HEIC, a RIFF that is not WebP and an empty file for what they are: not images it accepts", () => {
    expect(detectImage(TINY_TEXT_FILE)).toBeUndefined();
    expect(detectImage(HEIC)).toBeUndefined();
    expect(detectImage(Buffer.concat([Buffer.from("RIFF"), Buffer.alloc(4), Buffer.from("WAVEfmt "), Buffer.alloc(40)]))).toBeUndefined();
    expect(detectImage(Buffer.alloc(0))).toBeUndefined();
    expect(detectImage(Buffer.from([0xff, 0xd8]))).toBeUndefined();
  });
});

describe.each(DATABASE_KINDS)("the media store on %s", (kind) => {
  let media: MediaFixture;
  beforeEach(async () => {
    media = await openMediaFixture({ kind, maxBytes: MAX_BYTES });
  });
  afterEach(async () => {
    await media.close();
  });

  it("keeps a PNG under its content hash with one row recording the detected type, and reads it back", async () => {
    const png = TINY_PNG(7);
    const result = await media.store.put(png);
    if (!result.ok) throw new Error(`refused: ${result.reason}`);

    const hash = sha256(png);
    expect(await media.files()).toEqual([path.join(hash.slice(0, 2), `${hash}.png`)]);
    expect(await readFile(path.join(media.root, hash.slice(0, 2), `${hash}.png`))).toEqual(png);
    const rows = await media.db.prisma.media.findMany();
    expect(rows).toEqual([
      expect.objectContaining({
        id: result.mediaId,
        sha256: hash,
        mimeType: "image/png",
        sizeBytes: png.length,
        path: `${hash.slice(0, 2)}/${hash}.png`,
      }),
    ]);
    expect(await media.store.read(result.mediaId)).toEqual({ bytes: png, mimeType: "image/png" });
    expect(await media.store.has(result.mediaId)).toBe(true);
  });

  it("stores JPEG, WebP and GIF with their own extensions", async () => {
    for (const [bytes, extension] of [
      [JPEG, "jpg"],
      [WEBP, "webp"],
      [GIF, "gif"],
    ] as const) {
      const result = await media.store.put(bytes);
      expect(result.ok).toBe(true);
      expect(await media.files()).toContain(path.join(sha256(bytes).slice(0, 2), `${sha256(bytes)}.${extension}`));
    }
    expect(await media.db.prisma.media.count()).toBe(3);
  });

  it("refuses a text file named photo.jpg as not an image, and a HEIC photo too, writing nothing", async () => {
    expect(await media.store.put(TINY_TEXT_FILE)).toEqual({ ok: false, reason: "notImage" });
    expect(await media.store.put(HEIC)).toEqual({ ok: false, reason: "notImage" });
    expect(await media.files()).toEqual([]);
    expect(await media.db.prisma.media.count()).toBe(0);
  });

  it("refuses an image one byte over the limit, naming the limit, and accepts one exactly at it", async () => {
    const atLimit = Buffer.concat([TINY_PNG(1), Buffer.alloc(MAX_BYTES - TINY_PNG(1).length)]);
    expect(await media.store.put(Buffer.concat([atLimit, Buffer.alloc(1)]))).toEqual({
      ok: false,
      reason: "tooLarge",
      maxBytes: MAX_BYTES,
    });
    expect(await media.files()).toEqual([]);
    expect((await media.store.put(atLimit)).ok).toBe(true);
  });

  it("stores the same photo once, even when it arrives three times at the same moment and again later", async () => {
    const png = TINY_PNG(42);
    const results = await Promise.all([media.store.put(png), media.store.put(png), media.store.put(png)]);
    const later = await media.store.put(Buffer.from(png));
    const ids = new Set([...results, later].map((result) => (result.ok ? result.mediaId : result.reason)));

    expect(ids.size).toBe(1);
    expect(await media.db.prisma.media.count()).toBe(1);
    // No temporary file survives the renames.
    expect(await media.files()).toEqual([path.join(sha256(png).slice(0, 2), `${sha256(png)}.png`)]);
    expect((await media.store.put(TINY_PNG(43))).ok).toBe(true);
    expect(await media.db.prisma.media.count()).toBe(2);
  });

  it("makes a photo's folder again when it was removed from outside after the folder's first photo", async () => {
    const png = TINY_PNG(44);
    const first = await media.store.put(png);
    await rm(path.join(media.root, sha256(png).slice(0, 2)), { recursive: true });
    const again = await media.store.put(png);
    if (!first.ok || !again.ok) throw new Error("a photo was refused");
    expect(again.mediaId).toBe(first.mediaId);
    expect(await media.store.read(first.mediaId)).toEqual({ bytes: png, mimeType: "image/png" });
  });

  it("answers an unknown id with nothing, and a row whose file was deleted with nothing and an error in the log", async () => {
    expectErrorLogs(/a stored image is missing from disk/);
    expect(await media.store.read("00000000-0000-4000-8000-000000000000")).toBeUndefined();
    expect(await media.store.has("00000000-0000-4000-8000-000000000000")).toBe(false);

    const stored = await media.store.put(TINY_PNG(3));
    if (!stored.ok) throw new Error("refused");
    const [file = ""] = await media.files();
    await rm(path.join(media.root, file));
    expect(await media.store.read(stored.mediaId)).toBeUndefined();
    expect(media.logs).toContainEqual(
      expect.objectContaining({ level: "error", message: "a stored image is missing from disk", mediaId: stored.mediaId }),
    );
  });
});
