import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../../src/config.ts";
import { zh } from "../../../../src/flows/i18n/zh.ts";
import { startLinli } from "../../../../src/app.ts";
import { startFakeTelegram, type FakeMessage, type FakeTelegram, type FakeUser } from "../../../support/fake-telegram.ts";
import { SAMPLE_TOWN_FILE, SAMPLE_WORDS, TINY_PNG } from "../../../support/town.ts";

const TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu";
const resident: FakeUser = { id: 5151, first_name: "李", language_code: "zh-hans" };
const toResident = (message: FakeMessage) => message.chat.id === resident.id;

function button(message: FakeMessage, label: string): string {
  const found = message.reply_markup?.inline_keyboard?.flat().find((b) => b.text.includes(label));
  if (!found?.callback_data) throw new Error(`no button "${label}" on "${message.text}"`);
  return found.callback_data;
}

describe("reporting on Telegram, end to end against a fake Bot API", () => {
  let fake: FakeTelegram;
  let dataDir: string;
  let stopApp: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    dataDir = await mkdtemp(path.join(tmpdir(), "linli-telegram-report-"));
    const app = await startLinli(
      loadConfig({
        DATA_DIR: dataDir,
        PORT: "0",
        TOWN_DATA_FILE: SAMPLE_TOWN_FILE,
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: fake.url,
        LOG_LEVEL: "silent",
      }),
    );
    stopApp = app.stop;
  });

  afterEach(async () => {
    await stopApp?.();
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("a resident reports with a location pin (after consenting) and a photo, and sees the report with its photo counted", async () => {
    await fake.userSends(resident, "/report");
    const categories = await fake.nextBotMessage((m) => toResident(m) && m.text === zh.report.askCategory(SAMPLE_WORDS.problem));
    await fake.userPresses(categories, button(categories, "油烟扰民"));

    const where = await fake.nextBotMessage((m) => toResident(m) && m.text === zh.report.askLocation(SAMPLE_WORDS.address));
    await fake.userPresses(where, button(where, zh.report.shareLocation));
    const consent = await fake.nextBotMessage((m) => toResident(m) && m.text === zh.report.consent);
    await fake.userPresses(consent, button(consent, zh.report.consentYes));
    const pinRequest = await fake.nextBotMessage((m) => toResident(m) && m.text === zh.report.sendPinNow);
    expect(pinRequest.reply_markup?.keyboard?.[0]?.[0]).toEqual({ text: zh.report.sendPinButton, request_location: true });

    await fake.userSharesLocation(resident, 31.05, 121.42);
    await fake.nextBotMessage((m) => toResident(m) && m.text === zh.report.askPhotos);
    const photo = TINY_PNG(77);
    await fake.userSendsPhoto(resident, { bytes: photo });
    const saved = await fake.nextBotMessage((m) => toResident(m) && m.text === zh.report.photoSaved(1));
    await fake.userPresses(saved, button(saved, zh.report.photosDone));

    await fake.nextBotMessage((m) => toResident(m) && m.text === zh.report.askDescription);
    await fake.userSends(resident, "烧烤店的油烟直冲楼上住户窗户");
    const contact = await fake.nextBotMessage((m) => toResident(m) && m.text === zh.report.askContact);
    await fake.userPresses(contact, button(contact, zh.report.contactNo));

    const summary = await fake.nextBotMessage((m) => toResident(m) && (m.text ?? "").startsWith(zh.report.summaryTitle));
    expect(summary.text).toContain("已发送的位置（第一片区）（含精确位置）");
    expect(summary.text).toContain("照片：1 张");
    expect(summary.text).toContain("将提交给：第一片区治理委员会");
    await fake.userPresses(summary, button(summary, "确认提交"));

    const done = await fake.nextBotMessage((m) => toResident(m) && (m.text ?? "").includes("已提交，编号"));
    const reference = /WJ-\d{4}-\d{6}/.exec(done.text ?? "")![0];
    await fake.userSends(resident, `/report ${reference}`);
    const view = await fake.nextBotMessage((m) => toResident(m) && (m.text ?? "").startsWith(`举报 ${reference}`));
    expect(view.text).toContain("照片：1 张");

    // The photo was copied out of Telegram into the media store, byte for byte.
    const [folder] = await readdir(path.join(dataDir, "media"));
    const [file] = await readdir(path.join(dataDir, "media", folder!));
    expect(await readFile(path.join(dataDir, "media", folder!, file!))).toEqual(photo);
  });

  it("a 10 MB photo is refused before it is downloaded and the report goes on", async () => {
    await fake.userSends(resident, "永德路12号门口又在占道摆摊，行人过不去");
    const suggestion = await fake.nextBotMessage((m) => toResident(m) && (m.text ?? "").startsWith("看起来是「占道经营」"));
    await fake.userPresses(suggestion, button(suggestion, zh.report.yes));
    await fake.nextBotMessage((m) => toResident(m) && m.text === zh.report.askPhotos);
    await fake.userSendsPhoto(resident, { bytes: Buffer.concat([TINY_PNG(1), Buffer.alloc(10 * 1024 * 1024)]) });
    const refused = await fake.nextBotMessage((m) => toResident(m) && (m.text ?? "").includes("这张照片太大了"));
    expect(refused.reply_markup?.inline_keyboard?.flat().some((b) => b.text === zh.report.photosDone)).toBe(true);
    expect(fake.calls("getFile")).toHaveLength(0);
  });
});
