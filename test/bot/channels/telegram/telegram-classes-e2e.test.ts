import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../../src/config.ts";
import { zh } from "../../../../src/flows/i18n/zh.ts";
import { startLinli } from "../../../../src/app.ts";
import { startFakeTelegram, type FakeMessage, type FakeTelegram, type FakeUser } from "../../../support/fake-telegram.ts";
import { SAMPLE_TOWN_FILE, SAMPLE_WORDS } from "../../../support/town.ts";

const TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu";
const resident: FakeUser = { id: 6161, first_name: "陈", language_code: "zh-hans" };
const toResident = (message: FakeMessage) => message.chat.id === resident.id;
const DAY = 86_400_000;

function button(message: FakeMessage, label: string): string {
  const found = message.reply_markup?.inline_keyboard?.flat().find((b) => b.text.includes(label));
  if (!found?.callback_data) throw new Error(`no button "${label}" on "${message.text}"`);
  return found.callback_data;
}

/** The sample town with one class whose sign-up is open whenever the test runs. */
function townWithOpenClass(sample: string): string {
  const at = (days: number) => new Date(Date.now() + days * DAY).toISOString();
  const course = [
    "courses:",
    "  - code: e2e-course",
    "    name: 测试课程",
    "    nameEn: Test course",
    "    description: 端到端测试用的课程。",
    "    descriptionEn: A course for the end-to-end test.",
    "    cohorts:",
    "      - code: e2e-cohort",
    "        title: 第一期",
    "        titleEn: Cohort 1",
    "        capacity: 1",
    `        enrolmentOpensAt: ${at(-1)}`,
    `        enrolmentClosesAt: ${at(20)}`,
    "        eligibility: 本镇居民",
    "        eligibilityEn: Residents of the town",
    "        location: 社区学校",
    "        locationEn: Community school",
    "        completionShare: 1",
    "        sessions:",
    `          - startsAt: ${at(30)}`,
    `            endsAt: ${at(30.1)}`,
    "            topic: 开班",
    "            topicEn: Opening",
    "            lecturerRole: 教师",
    "            lecturerRoleEn: Teacher",
  ].join("\n");
  const start = sample.indexOf("\ncourses:");
  const end = sample.indexOf("\nholidays:");
  return `${sample.slice(0, start)}\n${course}${sample.slice(end)}`;
}

describe("signing up for a class on Telegram, end to end against a fake Bot API", () => {
  let fake: FakeTelegram;
  let dir: string;
  let stopApp: () => Promise<void>;

  beforeAll(async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    dir = await mkdtemp(path.join(tmpdir(), "linli-telegram-classes-"));
    const townFile = path.join(dir, "town.yaml");
    await writeFile(townFile, townWithOpenClass(await readFile(SAMPLE_TOWN_FILE, "utf8")));
    const app = await startLinli(
      loadConfig({
        DATA_DIR: dir,
        PORT: "0",
        TOWN_DATA_FILE: townFile,
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: fake.url,
        LOG_LEVEL: "silent",
      }),
    );
    stopApp = app.stop;
  });
  afterAll(async () => {
    await stopApp();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a resident finds the class, accepts the notice, gives name, mobile and neighbourhood, and gets the seat and a check-in code", async () => {
    await fake.userSends(resident, "/classes");
    const list = await fake.nextBotMessage((m) => toResident(m) && m.text === zh.classes.listTitle(SAMPLE_WORDS.town));
    await fake.userPresses(list, button(list, "测试课程 · 第一期 · 余 1 座"));
    const details = await fake.nextBotMessage((m) => toResident(m) && (m.text ?? "").startsWith("测试课程 · 第一期"));
    await fake.userPresses(details, button(details, zh.classes.signUp));
    const notice = await fake.nextBotMessage((m) => toResident(m) && m.text === zh.classes.privacy);
    await fake.userPresses(notice, button(notice, zh.classes.accept));
    await fake.nextBotMessage((m) => toResident(m) && m.text === zh.classes.askName);
    await fake.userSends(resident, "陈静");
    await fake.nextBotMessage((m) => toResident(m) && m.text === zh.classes.askMobile);
    await fake.userSends(resident, "1381234");
    await fake.nextBotMessage((m) => toResident(m) && m.text === zh.classes.mobileInvalid);
    await fake.userSends(resident, "13912345678");
    await fake.nextBotMessage((m) => toResident(m) && m.text === zh.classes.askNeighbourhood);
    await fake.userSends(resident, "紫竹半岛");
    const skills = await fake.nextBotMessage((m) => toResident(m) && m.text === zh.classes.askSkills);
    await fake.userPresses(skills, button(skills, zh.classes.skip));
    const done = await fake.nextBotMessage((m) => toResident(m) && (m.text ?? "").startsWith("✅ 报名成功"));
    expect(done.text).toMatch(/报名成功：测试课程 · 第一期\n签到码：[A-Z2-9]{6}/);

    await fake.userSends(resident, "/myclasses");
    const mine = await fake.nextBotMessage((m) => toResident(m) && (m.text ?? "").startsWith(zh.classes.mineTitle));
    expect(mine.text).toContain("已出勤 0/1 讲");
    expect(mine.text).not.toContain("13912345678");
  });
});
