import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTelegramFileFetcher } from "../../../src/bot/channels/telegram/files.ts";
import { createPhotoSaver } from "../../../src/bot/media/photo-saver.ts";
import type { PhotoSaver } from "../../../src/flows/kit/flow.ts";
import type { InboundPayload } from "../../../src/flows/kit/messages.ts";
import { startFakeTelegram, type FakeTelegram, type FakeUpdate, type FakeUser } from "../../support/fake-telegram.ts";
import { TINY_PNG, TINY_TEXT_FILE } from "../../support/town.ts";
import { expectErrorLogs } from "../../support/logs.ts";
import { openMediaFixture, type MediaFixture } from "../../support/media-fixture.ts";

const TOKEN = "424242:AAE-photo-saver-test-token_0123456789";
const MAX_BYTES = 1024 * 1024;
const TEN_MB = 10 * 1024 * 1024;
const alice: FakeUser = { id: 7001, first_name: "Alice", language_code: "zh-hans" };

/** A 10 MB file that is a PNG by its first bytes, so only its size can get it refused. */
const HUGE_PNG = Buffer.concat([TINY_PNG(9), Buffer.alloc(TEN_MB - TINY_PNG(9).length, 0x55)]);

/** The photo payload the Telegram channel makes of an update: its largest size. */
function photoOf(update: FakeUpdate): Extract<InboundPayload, { type: "photo" }> {
  const largest = update.message?.photo?.at(-1);
  if (!largest) throw new Error("the update carries no photo");
  return { type: "photo", fileId: largest.file_id, ...(largest.file_size === undefined ? {} : { sizeBytes: largest.file_size }) };
}

let fake: FakeTelegram;
beforeAll(async () => {
  fake = await startFakeTelegram({ token: TOKEN });
});
afterAll(async () => {
  await fake.close();
});

describe("saving photos sent on Telegram", () => {
  let media: MediaFixture;
  let saver: PhotoSaver;
  beforeEach(async () => {
    media = await openMediaFixture({ maxBytes: MAX_BYTES });
    saver = createPhotoSaver({
      store: media.store,
      fetchers: { telegram: createTelegramFileFetcher({ token: TOKEN, apiRoot: fake.url }) },
      logger: media.logger,
    });
  });
  afterEach(async () => {
    await media.close();
  });

  it("downloads the largest size through getFile into the store, byte for byte", async () => {
    const png = TINY_PNG(11);
    const photo = photoOf(await fake.userSendsPhoto(alice, { bytes: png }));

    const saved = await saver.save("telegram", photo);
    if (!saved.ok) throw new Error(`refused: ${saved.reason}`);
    expect(await media.store.read(saved.mediaId)).toEqual({ bytes: png, mimeType: "image/png" });
    expect(fake.calls("getFile").at(-1)?.params).toEqual({ file_id: photo.fileId });
    expect(fake.bytesServed(photo.fileId)).toBe(png.length);
  });

  it("refuses a 10 MB photo the message already declares, without asking Telegram for it", async () => {
    const photo = photoOf(await fake.userSendsPhoto(alice, { bytes: HUGE_PNG }));
    const before = fake.calls("getFile").length;

    expect(await saver.save("telegram", photo)).toEqual({ ok: false, reason: "tooLarge", maxBytes: MAX_BYTES });
    expect(fake.calls("getFile")).toHaveLength(before);
    expect(fake.bytesServed(photo.fileId)).toBe(0);
  });

  it("refuses a 10 MB file whose size only getFile reports, before downloading a byte", async () => {
    const { fileId } = photoOf(await fake.userSendsPhoto(alice, { bytes: HUGE_PNG }));

    expect(await saver.save("telegram", { type: "photo", fileId })).toEqual({ ok: false, reason: "tooLarge", maxBytes: MAX_BYTES });
    expect(fake.calls("getFile").at(-1)).toMatchObject({ params: { file_id: fileId }, ok: true });
    expect(fake.bytesServed(fileId)).toBe(0);
    expect(await media.files()).toEqual([]);
  });

  it("cuts off a 10 MB download whose size nobody reports once it crosses the limit", async () => {
    const photo = photoOf(await fake.userSendsPhoto(alice, { bytes: HUGE_PNG, sizeKnown: false }));
    expect(photo.sizeBytes).toBeUndefined();

    expect(await saver.save("telegram", photo)).toEqual({ ok: false, reason: "tooLarge", maxBytes: MAX_BYTES });
    // The transfer started and was abandoned: far less than the file left the server.
    expect(fake.bytesServed(photo.fileId)).toBeGreaterThan(MAX_BYTES);
    expect(fake.bytesServed(photo.fileId)).toBeLessThan(TEN_MB);
    expect(await media.files()).toEqual([]);
  });

  it("refuses a text file sent as a photo as not an image", async () => {
    const photo = photoOf(await fake.userSendsPhoto(alice, { bytes: TINY_TEXT_FILE }));
    expect(await saver.save("telegram", photo)).toEqual({ ok: false, reason: "notImage" });
    expect(await media.db.prisma.media.count()).toBe(0);
  });

  it("answers unavailable when Telegram no longer has the file, logging why but never the token", async () => {
    const photo = photoOf(await fake.userSendsPhoto(alice));

    expect(await saver.save("telegram", photo)).toEqual({ ok: false, reason: "unavailable" });
    const warning = media.logs.find((line) => line.message === "could not fetch a photo from its channel");
    expect(JSON.stringify(warning)).toContain("wrong file_id");
    expect(JSON.stringify(media.logs)).not.toContain(TOKEN);
  });

  it("answers unavailable when the Bot API cannot be reached, and when a channel has no fetcher", async () => {
    expectErrorLogs(/no way to fetch photos from this channel/);
    const unreachable = createPhotoSaver({
      store: media.store,
      fetchers: { telegram: createTelegramFileFetcher({ token: TOKEN, apiRoot: "http://127.0.0.1:9" }) },
      logger: media.logger,
    });
    expect(await unreachable.save("telegram", { type: "photo", fileId: "AgAC-anything" })).toEqual({ ok: false, reason: "unavailable" });
    expect(await saver.save("wecom", { type: "photo", fileId: "media-1" })).toEqual({ ok: false, reason: "unavailable" });
    expect(JSON.stringify(media.logs)).not.toContain(TOKEN);
    expect(media.logs.map((line) => line.level)).toEqual(["warn", "error"]);
  });
});

describe("saving photos the web chat uploaded first", () => {
  let media: MediaFixture;
  beforeEach(async () => {
    media = await openMediaFixture({ maxBytes: MAX_BYTES });
  });
  afterEach(async () => {
    await media.close();
  });

  it("takes a stored media id as it is and an unknown one as unavailable, downloading nothing", async () => {
    const saver = createPhotoSaver({ store: media.store, fetchers: {}, preStored: ["web"], logger: media.logger });
    const stored = await media.store.put(TINY_PNG(5));
    if (!stored.ok) throw new Error("refused");

    expect(await saver.save("web", { type: "photo", fileId: stored.mediaId })).toEqual({ ok: true, mediaId: stored.mediaId });
    expect(await saver.save("web", { type: "photo", fileId: "00000000-0000-4000-8000-000000000000" })).toEqual({
      ok: false,
      reason: "unavailable",
    });
    expect(await media.db.prisma.media.count()).toBe(1);
  });
});
