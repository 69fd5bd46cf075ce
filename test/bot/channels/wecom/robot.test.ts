import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWecomRobotSender,
  PHOTO_FORMAT_NOTE,
  PHOTO_TOO_LARGE_NOTE,
  toWecomMarkdown,
  WECOM_IMAGE_LIMIT_BYTES,
  WECOM_MARKDOWN_LIMIT_BYTES,
} from "../../../../src/bot/channels/wecom/robot.ts";
import { createOutboxWorker } from "../../../../src/bot/notify/outbox-worker.ts";
import { renderOutboxRow } from "../../../../src/bot/notify/render.ts";
import { testLogger } from "../../../support/logs.ts";
import { FAKE_WECOM_LIMITS, startFakeWecomRobot, type FakeWecomRobot } from "../../../support/fake-wecom-robot.ts";
import { declining, openSampleServices, TINY_PNG, type SampleServices, TOWN_TIME_ZONE } from "../../../support/town.ts";

let robot: FakeWecomRobot;
let town: SampleServices;
let now = Date.parse("2026-11-27T02:00:00.000Z");

const stored = async (bytes: Buffer) => {
  const result = await town.media.put(bytes);
  if (!result.ok) throw new Error(result.reason);
  return result.mediaId;
};

beforeAll(async () => {
  robot = await startFakeWecomRobot({ now: () => now });
  town = await openSampleServices();
});
afterAll(async () => {
  await robot.close();
  await town.close();
});

describe("WeCom group robots", () => {
  it("a new report's alert reaches a subscribed robot as markdown through the outbox", async () => {
    await town.db.prisma.alertDestination.create({
      data: {
        townCode: "wujing",
        code: "robot-d2",
        name: "第二片区企业微信群",
        channel: "wecom",
        address: robot.urlFor("d2-key"),
        districtCodes: ["d2"],
        roadCommitteeCodes: [],
        categoryCodes: [],
      },
    });
    const result = await town.reports.submit(
      {
        categoryCode: "parking",
        place: { roadCode: "heqing", houseNumber: 30 },
        description: "车辆**长期**停在人行道上 [链接](http://evil.example)",
        photoIds: [],
        contactAllowed: false,
      },
      { channel: "web", userId: "robot-reporter", chatId: "robot-reporter", locale: "zh" },
      declining(),
    );
    if (result.type !== "created") throw new Error(result.type);
    const worker = createOutboxWorker({
      sql: town.db.sql,
      render: (row) => renderOutboxRow(row, TOWN_TIME_ZONE),
      senders: { wecom: createWecomRobotSender() },
      logger: testLogger(),
    });
    await worker.drainOnce();
    const [markdown] = robot.received("d2-key");
    expect(markdown).toContain(`新举报 ${result.reference}：违规停车`);
    // The resident's words stay words: no bold, no link of theirs.
    expect(markdown).toContain("车辆\\*\\*长期\\*\\*停在人行道上 \\[链接\\]\\(http://evil.example\\)");
    const row = await town.db.prisma.outboxMessage.findFirstOrThrow({ where: { kind: "alert.new", channel: "wecom" } });
    expect(row.status).toBe("SENT");
  });

  it("WeCom's rate limit asks to retry in a minute, a removed robot is gone, and no error repeats the robot's key", async () => {
    const sender = createWecomRobotSender();
    robot.failNext(1, 45009);
    expect(await sender.send(robot.urlFor("secret-key-1"), [{ type: "text", text: "x" }])).toEqual({ type: "retryAfter", seconds: 60 });
    robot.failNext(1, 93000);
    const gone = await sender.send(robot.urlFor("secret-key-1"), [{ type: "text", text: "x" }]);
    expect(gone.type).toBe("recipientGone");
    const unreachable = await sender.send("http://127.0.0.1:1/cgi-bin/webhook/send?key=secret-key-2", [{ type: "text", text: "x" }]);
    expect(unreachable.type).toBe("failed");
    expect(JSON.stringify([gone, unreachable])).not.toContain("secret-key");
  });

  it("a long alert is cut to WeCom's 4096-byte markdown limit on a character boundary", () => {
    const markdown = toWecomMarkdown([{ type: "text", text: "占道经营".repeat(1000) }]);
    expect(Buffer.byteLength(markdown, "utf8")).toBeLessThanOrEqual(WECOM_MARKDOWN_LIMIT_BYTES);
    expect(markdown.endsWith("…")).toBe(true);
    expect(markdown).not.toContain("\uFFFD");
  });

  it("sends each photo as an image message after the markdown, with the md5 of its raw bytes", async () => {
    const bytes = TINY_PNG(9);
    const mediaId = await stored(bytes);
    const sender = createWecomRobotSender({ media: town.media });

    const result = await sender.send(robot.urlFor("photo-key"), [
      { type: "text", text: "新举报 WJ-2026-000009" },
      { type: "photo", mediaId, caption: "照片 1/1" },
    ]);

    expect(result).toEqual({ type: "sent" });
    const [markdown, image] = robot.messages("photo-key");
    expect(markdown).toEqual({ msgtype: "markdown", content: "新举报 WJ-2026-000009\n\n照片 1/1" });
    // The fake accepts an image only when its md5 matches the decoded bytes.
    expect(image?.msgtype === "image" && image.bytes.equals(bytes)).toBe(true);
  });

  it("skips a photo over 2 MB or in a format robots refuse, and the markdown says so in both languages", async () => {
    const large = await stored(Buffer.concat([TINY_PNG(10), Buffer.alloc(WECOM_IMAGE_LIMIT_BYTES)]));
    const webp = await stored(Buffer.concat([Buffer.from("RIFF"), Buffer.alloc(4), Buffer.from("WEBPVP8 "), Buffer.alloc(64, 1)]));
    const sender = createWecomRobotSender({ media: town.media });

    const result = await sender.send(robot.urlFor("large-key"), [
      { type: "text", text: "新举报 WJ-2026-000010" },
      { type: "photo", mediaId: large, caption: "照片 1/2" },
      { type: "photo", mediaId: webp, caption: "照片 2/2" },
    ]);

    expect(result).toEqual({ type: "sent" });
    expect(robot.messages("large-key")).toEqual([
      { msgtype: "markdown", content: `新举报 WJ-2026-000010\n\n照片 1/2\n${PHOTO_TOO_LARGE_NOTE}\n\n照片 2/2\n${PHOTO_FORMAT_NOTE}` },
    ]);
  });

  it("fails a row whose photo is missing from the media store before sending anything", async () => {
    const sender = createWecomRobotSender({ media: town.media });
    const lost = "1a2b3c4d-0000-4000-8000-000000000000";

    expect(
      await sender.send(robot.urlFor("lost-key"), [
        { type: "text", text: "x" },
        { type: "photo", mediaId: lost },
      ]),
    ).toEqual({
      type: "failed",
      error: `photo ${lost} is not in the media store`,
    });
    expect(robot.messages("lost-key")).toEqual([]);
  });

  it("renders a replacement and a notice as markdown, since robots cannot edit", () => {
    expect(
      toWecomMarkdown([
        { type: "replace", messageRef: "7", text: "WJ-2026-000001 已认领", options: [{ label: "已解决", value: "v" }] },
        { type: "notice", text: "已认领" },
      ]),
    ).toBe("WJ-2026-000001 已认领\n1. 已解决\n\n已认领");
  });

  it("the fake robot refuses the 21st message in a minute with 45009, which the sender turns into a retry in a minute", async () => {
    const sender = createWecomRobotSender();
    for (let n = 1; n <= FAKE_WECOM_LIMITS.perRobotPerMinute; n++) {
      expect(await sender.send(robot.urlFor("busy-key"), [{ type: "text", text: `alert ${n}` }])).toEqual({ type: "sent" });
      now += 1_000;
    }
    expect(await sender.send(robot.urlFor("busy-key"), [{ type: "text", text: "alert 21" }])).toEqual({ type: "retryAfter", seconds: 60 });
    expect(await sender.send(robot.urlFor("other-key"), [{ type: "text", text: "another robot" }])).toEqual({ type: "sent" });

    now += 40_000;
    expect(await sender.send(robot.urlFor("busy-key"), [{ type: "text", text: "alert 21" }])).toEqual({ type: "sent" });
    expect(robot.received("busy-key")).toHaveLength(21);
  });

  it("the fake robot refuses markdown over 4096 bytes and an image whose md5 does not match", async () => {
    const post = async (body: object) =>
      (await (await fetch(robot.urlFor("strict-key"), { method: "POST", body: JSON.stringify(body) })).json()) as { errcode: number };
    const bytes = TINY_PNG(11);

    expect((await post({ msgtype: "markdown", markdown: { content: "长".repeat(1366) } })).errcode).toBe(40058);
    expect((await post({ msgtype: "image", image: { base64: bytes.toString("base64"), md5: "0".repeat(32) } })).errcode).toBe(40058);
    expect(
      (await post({ msgtype: "image", image: { base64: bytes.toString("base64"), md5: createHash("md5").update(bytes).digest("hex") } }))
        .errcode,
    ).toBe(0);
  });

  it("a robot answering 5xx or not answering in time is a failure to retry", async () => {
    const sender = createWecomRobotSender({ timeoutMs: 200 });
    robot.failNextWith(1, { type: "serverError" });
    expect(await sender.send(robot.urlFor("flaky-key"), [{ type: "text", text: "x" }])).toEqual({
      type: "failed",
      error: "WeCom robot answered HTTP 502",
    });
    robot.failNextWith(1, { type: "hang" });
    expect(await sender.send(robot.urlFor("flaky-key"), [{ type: "text", text: "x" }])).toEqual({
      type: "failed",
      error: "WeCom robot unreachable: TimeoutError",
    });
    robot.releaseHung();
  });
});
