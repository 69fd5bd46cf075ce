import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../../src/config.ts";
import { en } from "../../../../src/flows/i18n/en.ts";
import { zh } from "../../../../src/flows/i18n/zh.ts";
import { UNIVERSAL_COMMANDS } from "../../../../src/flows/kit/commands.ts";
import { FLOWS } from "../../../../src/flows/registry.ts";
import { startLinli } from "../../../../src/app.ts";
import { readTownFile } from "../../../../src/towndata/town-file.ts";
import { startFakeTelegram, type FakeMessage, type FakeTelegram, type FakeUser } from "../../../support/fake-telegram.ts";
import { SAMPLE_TOWN_FILE, SAMPLE_WORDS } from "../../../support/town.ts";

const TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu";
const SECRET = "e2e-webhook-secret-0123456789";
/** The public address Telegram is told; the fake routes it to the local server, as a reverse proxy would. */
const PUBLIC_WEBHOOK_URL = "https://linli.example.org/telegram/webhook";

const resident: FakeUser = { id: 4242, first_name: "张", language_code: "zh-hans" };
const fromResident = (message: FakeMessage) => message.chat.id === resident.id;

function buttonLabelled(message: FakeMessage, label: (text: string) => boolean): string {
  const button = message.reply_markup?.inline_keyboard?.flat().find((b) => label(b.text));
  if (!button?.callback_data) throw new Error(`no such button on "${message.text}": ${JSON.stringify(message.reply_markup)}`);
  return button.callback_data;
}

/** What the sample town file says the answer for a neighbourhood must contain. */
async function expectedAnswerFor(neighbourhoodName: string) {
  const { data } = await readTownFile(SAMPLE_TOWN_FILE);
  const neighbourhood = data.neighbourhoods.find((n) => n.name === neighbourhoodName);
  const district = data.districts.find((d) => d.code === neighbourhood?.district);
  const director = district?.members.find((m) => m.role === "DIRECTOR");
  if (!district || !director) throw new Error(`the sample town has no district with a director for ${neighbourhoodName}`);
  return { district: district.name, director: director.title };
}

describe("Linli on Telegram, end to end against a fake Bot API", () => {
  let fake: FakeTelegram;
  let dataDir: string;
  let stopApp: (() => Promise<void>) | undefined;

  const startApp = async (env: Record<string, string> = {}) => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: "0",
      TOWN_DATA_FILE: SAMPLE_TOWN_FILE,
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.url,
      LOG_LEVEL: "silent",
      ...env,
    });
    const app = await startLinli(config);
    stopApp = app.stop;
    return app;
  };

  beforeEach(async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    dataDir = await mkdtemp(path.join(tmpdir(), "linli-telegram-e2e-"));
  });

  afterEach(async () => {
    await stopApp?.();
    stopApp = undefined;
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("a resident finds who runs 虹梅新苑第二居民区 by pressing inline buttons, from /start to the committee", async () => {
    const expected = await expectedAnswerFor("虹梅新苑第二居民区");
    await startApp();

    await fake.userSends(resident, "/start");
    const menu = await fake.nextBotMessage((m) => fromResident(m) && m.text === zh.menu.text);
    await fake.userPresses(
      menu,
      buttonLabelled(menu, (label) => label === zh.menu.lookup),
    );

    const prompt = await fake.nextBotMessage((m) => fromResident(m) && m.text === zh.lookup.prompt(SAMPLE_WORDS.address));
    expect(prompt.reply_markup?.keyboard?.[0]?.[0]).toEqual({ text: zh.lookup.shareLocation, request_location: true });

    await fake.userSends(resident, "虹梅新苑");
    const choices = await fake.nextBotMessage((m) => fromResident(m) && m.text === zh.lookup.ambiguous);
    await fake.userPresses(
      choices,
      buttonLabelled(choices, (label) => label.includes("虹梅新苑第二居民区")),
    );

    const answer = await fake.nextBotMessage((m) => fromResident(m) && m.text?.includes(expected.district) === true);
    expect(answer.text).toContain("虹梅新苑第二居民区");
    expect(answer.text).toContain(expected.director);
    expect(fake.currentMessage(resident.id, menu.message_id)?.reply_markup).toBeUndefined();
    expect(fake.currentMessage(resident.id, choices.message_id)?.reply_markup).toBeUndefined();
    expect(fake.calls("sendMessage").every((call) => call.params.parse_mode === undefined)).toBe(true);
    expect(fake.calls("setMyCommands").map((call) => call.params.language_code)).toEqual([undefined, "zh"]);
  });

  it("the menu Linli registers with the Bot API and the web chat's help both list every command for residents and shops, in Chinese and English, and no staff command", async () => {
    const app = await startApp();
    // Read from the flows' and the engine's own declarations, not from the list the app builds.
    const declared = [
      ...UNIVERSAL_COMMANDS.leading,
      ...Object.values(FLOWS).flatMap((flow) => (flow.command ? [flow.command] : [])),
      ...UNIVERSAL_COMMANDS.trailing,
    ];
    const byCommand = (a: { command: string }, b: { command: string }) => a.command.localeCompare(b.command);
    const expected = declared
      .filter((command) => command.audience === "everyone" || command.audience === "shops")
      .map((command) => ({ command: command.name, description: { zh: zh.commands[command.name], en: en.commands[command.name] } }))
      .sort(byCommand);
    const published = (languageCode: string | undefined) => {
      const call = fake.calls("setMyCommands").find((c) => c.params.language_code === languageCode);
      return [...((call?.params.commands ?? []) as { command: string; description: string }[])].sort(byCommand);
    };

    expect(published(undefined)).toEqual(expected.map(({ command, description }) => ({ command, description: description.en })));
    expect(published("zh")).toEqual(expected.map(({ command, description }) => ({ command, description: description.zh })));
    const help = (await (await fetch(`${app.httpUrl}/api/commands`)).json()) as { commands: { command: string }[] };
    expect([...help.commands].sort(byCommand)).toEqual(expected);
  });

  it("in webhook mode a wrong secret gets 401 and the right one gets the resident an answer", async () => {
    const expected = await expectedAnswerFor("紫竹半岛居民区");
    const app = await startApp({ TELEGRAM_WEBHOOK_URL: PUBLIC_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET: SECRET });
    const localWebhook = `${app.httpUrl}/telegram/webhook`;
    fake.routeWebhookTo(localWebhook);

    expect(fake.webhookInfo()).toEqual({ url: PUBLIC_WEBHOOK_URL, secret: SECRET });
    const forged = await fake.deliverToWebhook(localWebhook, "not-the-secret-0123456789", fake.textUpdate(resident, "/start"));
    const unsigned = await fake.deliverToWebhook(localWebhook, undefined, fake.textUpdate(resident, "/start"));
    expect([forged.status, unsigned.status]).toEqual([401, 401]);
    expect(fake.calls("sendMessage")).toEqual([]);

    await fake.userSends(resident, "/lookup");
    await fake.nextBotMessage((m) => fromResident(m) && m.text === zh.lookup.prompt(SAMPLE_WORDS.address));
    await fake.userSends(resident, "紫竹半岛");
    const answer = await fake.nextBotMessage((m) => fromResident(m) && m.text?.includes(expected.district) === true);

    expect(answer.text).toContain(expected.director);
    expect(fake.calls("getUpdates")).toEqual([]);
  });
});
