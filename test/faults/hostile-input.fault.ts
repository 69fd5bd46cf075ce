import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zh } from "../../src/flows/i18n/zh.ts";
import { declaredCommands, helpText } from "../../src/flows/kit/commands.ts";
import { FLOWS } from "../../src/flows/registry.ts";
import { startFakeWecomRobot, type FakeWecomRobot } from "../support/fake-wecom-robot.ts";
import type { FakeUser } from "../support/fake-telegram.ts";
import { PROTOTYPE_NAMES } from "../support/prototype-names.ts";
import { TINY_PNG } from "../support/town.ts";
import { health, reportUntilSummary, subscribeWholeTown, webResident } from "./support/app.ts";
import { collectedLines } from "./support/logs.ts";
import { PHONE_NUMBERS, WEBHOOK_SECRET, WECOM_ROBOT_KEYS } from "./support/secrets.ts";
import { startWebhookApp, type WebhookApp } from "./support/webhook-app.ts";

const GROUP = { id: -1001555000111, type: "supergroup" as const, title: "第一片区工作群" };
const ROBOT_KEY = WECOM_ROBOT_KEYS[1];
const MEDIA_MAX_BYTES = 100_000;
const REFERENCE = /WJ-\d{4}-\d{6}/;

/** Text that tries every trick a chat renderer can fall for. */
const HOSTILE_MARKUP = "<b>粗体</b><script>alert(1)</script> *星号* _斜体_ `代码` [点我](http://evil.example) &amp; ~删除~ ||剧透|| # 标题";
/** Text that is odd at the Unicode level: direction overrides, zero-width joiners, combining marks, astral characters, NUL, a lone surrogate. */
const ODD_UNICODE = "\u202e永德路\u200d12号\u2066\u0000\u0301\u0301\u0301 👩‍👩‍👧‍👦 𠀀𝕏 \ud800 \ufeff\u00ad";

type Probe = {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  expected: number[];
};

/** Everything the app serves publicly, probed with what attackers and broken clients send. */
describe("hostile input on every public endpoint", () => {
  let stack: WebhookApp;
  let robot: FakeWecomRobot;

  beforeAll(async () => {
    robot = await startFakeWecomRobot();
    stack = await startWebhookApp("hostile-input", { MEDIA_MAX_BYTES: String(MEDIA_MAX_BYTES) });
    stack.telegram.addChat(GROUP);
    await subscribeWholeTown(stack.databaseUrl, [
      { channel: "telegram", address: String(GROUP.id) },
      { channel: "wecom", address: robot.urlFor(ROBOT_KEY) },
    ]);
  });
  afterAll(async () => {
    await stack?.stop();
    await robot?.close();
  });

  const probe = async ({ method, path, headers, body }: Probe) => {
    const response = await fetch(`${stack.app.httpUrl}${path}`, { method, headers, body });
    return { status: response.status, body: await response.text() };
  };

  it("wrong or missing webhook secrets, malformed and oversized bodies, path tricks and wrong methods get a 4xx without a stack trace, and the app stays healthy", async () => {
    const update = JSON.stringify(stack.telegram.textUpdate({ id: 990_001, first_name: "x" }, "紫竹半岛"));
    const json = { "content-type": "application/json" };
    const secret = { ...json, "x-telegram-bot-api-secret-token": WEBHOOK_SECRET };
    const chat = (message: unknown, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ clientId: "hostile-client-1", messageId: `m${Math.random().toString(36).slice(2, 12)}`, message, ...extra });
    const probes: Probe[] = [
      { name: "webhook without the secret", method: "POST", path: "/telegram/webhook", headers: json, body: update, expected: [401] },
      {
        name: "webhook with a wrong secret",
        method: "POST",
        path: "/telegram/webhook",
        headers: { ...json, "x-telegram-bot-api-secret-token": "guess" },
        body: update,
        expected: [401],
      },
      {
        name: "webhook with the secret's prefix",
        method: "POST",
        path: "/telegram/webhook",
        headers: { ...json, "x-telegram-bot-api-secret-token": WEBHOOK_SECRET.slice(0, -1) },
        body: update,
        expected: [401],
      },
      {
        name: "webhook with the secret twice",
        method: "POST",
        path: "/telegram/webhook",
        headers: { ...json, "x-telegram-bot-api-secret-token": `${WEBHOOK_SECRET}${WEBHOOK_SECRET}` },
        body: update,
        expected: [401],
      },
      {
        name: "webhook with malformed JSON",
        method: "POST",
        path: "/telegram/webhook",
        headers: secret,
        body: '{"update_id": 1, "message": {',
        expected: [400],
      },
      { name: "webhook with a JSON array", method: "POST", path: "/telegram/webhook", headers: secret, body: "[1,2,3]", expected: [400] },
      {
        name: "webhook with a negative update id",
        method: "POST",
        path: "/telegram/webhook",
        headers: secret,
        body: '{"update_id": -5}',
        expected: [400],
      },
      {
        name: "webhook with a 1 MB body",
        method: "POST",
        path: "/telegram/webhook",
        headers: secret,
        body: `{"update_id": 1, "x": "${"a".repeat(1024 * 1024)}"}`,
        expected: [413],
      },
      { name: "webhook asked with GET", method: "GET", path: "/telegram/webhook", expected: [405] },
      { name: "chat with malformed JSON", method: "POST", path: "/api/chat", headers: json, body: "{'clientId':", expected: [400] },
      {
        name: "chat with JSON nested 20,000 deep",
        method: "POST",
        path: "/api/chat",
        headers: json,
        body: `${"[".repeat(20_000)}${"]".repeat(20_000)}`,
        expected: [400],
      },
      {
        name: "chat with a prototype-polluting body",
        method: "POST",
        path: "/api/chat",
        headers: json,
        body: '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}',
        expected: [400],
      },
      {
        name: "chat declared as form data",
        method: "POST",
        path: "/api/chat",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "clientId=x",
        expected: [415],
      },
      {
        name: "chat with a 1 MB body",
        method: "POST",
        path: "/api/chat",
        headers: json,
        body: chat({ type: "text", text: "字".repeat(1024 * 1024) }),
        expected: [413],
      },
      {
        name: "chat with text over 4096 characters",
        method: "POST",
        path: "/api/chat",
        headers: json,
        body: chat({ type: "text", text: "a".repeat(4097) }),
        expected: [400],
      },
      {
        name: "chat with a client id that is a path",
        method: "POST",
        path: "/api/chat",
        headers: json,
        body: JSON.stringify({ clientId: "../../etc/passwd", messageId: "abcdefgh", message: { type: "text", text: "x" } }),
        expected: [400],
      },
      {
        name: "chat with a location off the planet",
        method: "POST",
        path: "/api/chat",
        headers: json,
        body: chat({ type: "location", latitude: 1e308, longitude: -1e308 }),
        expected: [400],
      },
      {
        name: "chat with a photo id that is not an upload",
        method: "POST",
        path: "/api/chat",
        headers: json,
        body: chat({ type: "photo", fileId: "../../../../etc/passwd" }),
        expected: [400],
      },
      {
        name: "upload without a client id",
        method: "POST",
        path: "/api/upload",
        headers: { "content-type": "image/png" },
        body: new Uint8Array(TINY_PNG(1)),
        expected: [400],
      },
      {
        name: "upload of a script called an image",
        method: "POST",
        path: "/api/upload",
        headers: { "content-type": "image/png", "x-client-id": "hostile-client-2" },
        body: "<?php system($_GET['c']); ?>",
        expected: [415],
      },
      {
        name: "upload over the size limit",
        method: "POST",
        path: "/api/upload",
        headers: { "content-type": "image/png", "x-client-id": "hostile-client-2" },
        body: new Uint8Array(MEDIA_MAX_BYTES + 1).fill(1),
        expected: [413],
      },
      {
        name: "updates for a client id with a path",
        method: "GET",
        path: "/api/updates",
        headers: { "x-client-id": "../../etc" },
        expected: [400],
      },
      {
        name: "updates with the client id in the address, where proxies log it",
        method: "GET",
        path: "/api/updates?clientId=hostile-client-3",
        headers: { "x-client-id": "hostile-client-3" },
        expected: [400],
      },
      { name: "media outside the store", method: "GET", path: "/api/media/..%2F..%2F..%2Fetc%2Fpasswd", expected: [404] },
      { name: "media by an unknown id", method: "GET", path: "/api/media/00000000-0000-4000-8000-000000000000", expected: [404] },
      { name: "a dot-dot path", method: "GET", path: "/../../etc/passwd", expected: [404] },
      { name: "healthz asked with DELETE", method: "DELETE", path: "/healthz", expected: [405] },
    ];
    const answers = [];
    for (const request of probes) answers.push({ name: request.name, status: (await probe(request)).status });
    expect(answers).toEqual(probes.map((request) => ({ name: request.name, status: expect.toBeOneOf(request.expected) })));
    const bodies = await Promise.all(probes.map(async (request) => (await probe(request)).body));
    for (const body of bodies) expect(body).not.toMatch(/\bat .+\.ts:\d+|Error:|prisma/i);
    expect((await health(stack.app.httpUrl)).status).toBe(200);
  });

  it("Markdown and HTML in a resident's words reach the Telegram group as plain text and the WeCom robot escaped, and a full mobile number in them is masked", async () => {
    const resident = webResident(stack.app.httpUrl);
    const description = `鹤庆路88号门口堆满纸箱 ${HOSTILE_MARKUP} 联系${PHONE_NUMBERS[1]}`;
    await reportUntilSummary(resident, description, zh);
    const reference = REFERENCE.exec((await resident.press(zh.report.confirm)).text)?.[0];
    expect(reference).toBeDefined();

    const alert = await stack.telegram.nextBotMessage(
      (message) => message.chat.id === GROUP.id && message.text?.includes(reference!) === true,
      10_000,
    );
    const call = stack.telegram.calls("sendMessage").find((candidate) => String(candidate.params.text).includes(reference!));
    // No parse mode: Telegram shows every character as typed, so nothing in it can format, link or script.
    expect(call?.params.parse_mode).toBeUndefined();
    expect(alert.text).toContain("<script>alert(1)</script> *星号* _斜体_ `代码` [点我](http://evil.example)");
    expect(alert.text).not.toContain(PHONE_NUMBERS[1]);

    await expect.poll(() => robot.received(ROBOT_KEY).find((markdown) => markdown.includes(reference!)), { timeout: 10_000 }).toBeDefined();
    const markdown = robot.received(ROBOT_KEY).find((text) => text.includes(reference!))!;
    expect(markdown).toContain("\\[点我\\]\\(http://evil.example\\)");
    expect(markdown).toContain("\\*星号\\*");
    expect(markdown).not.toContain(PHONE_NUMBERS[1]);
  });

  it("the names every JavaScript object inherits, sent as commands, language words and button values on Telegram and the web chat, get polite answers and log no error", async () => {
    const errorsLogged = async () =>
      (await collectedLines()).filter(({ file, line }) => file.startsWith("hostile-input") && /"level":"error"/.test(line)).length;
    const errorsBefore = await errorsLogged();
    const resident: FakeUser = { id: 990_003, first_name: "原型", language_code: "zh-hans" };
    for (const name of PROTOTYPE_NAMES) {
      // One web resident per name keeps each under the web chat's per-browser rate limit.
      const web = webResident(stack.app.httpUrl);
      for (const text of [`/lang ${name}`, `/${name}`, `/start ${name}`, name]) {
        const before = stack.telegram.deliveredTo(resident.id).length;
        await stack.telegram.userSends(resident, text);
        const replies = stack.telegram.deliveredTo(resident.id).slice(before);
        expect(replies.length, `no answer to ${text} on Telegram`).toBeGreaterThan(0);
        for (const reply of replies) expect(reply.text ?? "", text).not.toContain(zh.errors.generic);
        const answer = await web.say(text);
        expect([answer.status, answer.text.includes(zh.errors.generic)], text).toEqual([200, false]);
      }
      expect((await web.say(`/lang ${name}`)).text).toContain(zh.lang.prompt);
      expect((await web.pressValue(`flow:${name}`)).text).toBe(zh.errors.staleChoice);
      expect((await web.pressValue(`lang:${name}`)).text).toContain(zh.lang.prompt);
      // Still Chinese: no prototype name was taken for a language.
      expect((await web.say("/help")).text).toBe(helpText(declaredCommands(FLOWS), "zh"));
    }
    expect(await errorsLogged()).toBe(errorsBefore);
  });

  it("very long and odd Unicode text on Telegram and in the web chat is answered within Telegram's limits, never with an error", async () => {
    const resident: FakeUser = { id: 990_002, first_name: "\u202eevil\u0000", language_code: "zh-hans" };
    const texts = [
      ODD_UNICODE,
      "𝕏".repeat(2_048),
      `${"永德路".repeat(1_000)}12号`,
      `/report ${"\u0301".repeat(4_000)}`,
      "\u0000",
      HOSTILE_MARKUP,
    ];
    for (const text of texts) {
      const before = stack.telegram.deliveredTo(resident.id).length;
      await stack.telegram.userSends(resident, text);
      const replies = stack.telegram.deliveredTo(resident.id).slice(before);
      expect(replies.length, `no answer to ${JSON.stringify(text.slice(0, 20))}`).toBeGreaterThan(0);
      for (const reply of replies) expect(reply.text ?? "").not.toContain(zh.errors.generic);
    }
    const failed = stack.telegram.calls("sendMessage").filter((call) => Number(call.params.chat_id) === resident.id && !call.ok);
    expect(failed).toEqual([]);

    const web = webResident(stack.app.httpUrl);
    for (const text of [ODD_UNICODE, "𝕏".repeat(2_048), "\u0301".repeat(4_096)]) {
      const answer = await web.say(text);
      expect(answer.status).toBe(200);
      expect(answer.text).not.toContain(zh.errors.generic);
    }
  });
});
