import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWecomRobotSender, toWecomMarkdown, WECOM_MARKDOWN_LIMIT_BYTES } from "../../../../src/bot/channels/wecom/robot.ts";
import { createOutboxWorker } from "../../../../src/bot/notify/outbox-worker.ts";
import { renderOutboxRow } from "../../../../src/bot/notify/render.ts";
import { createLogger } from "../../../../src/log.ts";
import { startFakeWecomRobot, type FakeWecomRobot } from "../../../support/fake-wecom-robot.ts";
import { openSampleServices, type SampleServices } from "../../../support/town.ts";

let robot: FakeWecomRobot;
let town: SampleServices;

beforeAll(async () => {
  robot = await startFakeWecomRobot();
  town = await openSampleServices();
});
afterAll(async () => {
  await robot.close();
  await town.close();
});

describe("WeCom group robots", () => {
  it("a new report's alert reaches a subscribed robot as markdown through the outbox", async () => {
    await town.db.prisma.alertDestination.create({
      data: { townCode: "wujing", code: "robot-d2", name: "第二片区企业微信群", channel: "wecom", address: robot.urlFor("d2-key"), districtCodes: ["d2"], roadCommitteeCodes: [], categoryCodes: [] },
    });
    const result = await town.reports.submit(
      { categoryCode: "parking", place: { roadCode: "heqing", houseNumber: 30 }, description: "车辆**长期**停在人行道上 [链接](http://evil.example)", photoIds: [], contactAllowed: false },
      { channel: "web", userId: "robot-reporter", chatId: "robot-reporter", locale: "zh" },
      [],
    );
    if (result.type !== "created") throw new Error(result.type);
    const worker = createOutboxWorker({ prisma: town.db.prisma, render: renderOutboxRow, senders: { wecom: createWecomRobotSender() }, logger: createLogger({ level: "silent" }) });
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
});
