import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { en } from "../../src/flows/i18n/en.ts";
import { zh } from "../../src/flows/i18n/zh.ts";
import type { RunningLinli } from "../../src/app.ts";
import { freePort } from "../support/global-setup.ts";
import { startFakeWecomRobot, type FakeWecomRobot } from "../support/fake-wecom-robot.ts";
import { startRedisServer, type RedisServer } from "../support/redis-server.ts";
import { eventually, health, reportUntilSummary, startApp, subscribeWholeTown, webResident } from "./support/app.ts";
import { startPostgresCluster, type PostgresCluster } from "./support/postgres-cluster.ts";
import { PHONE_NUMBERS, WECOM_ROBOT_KEYS } from "./support/secrets.ts";

const REFERENCE = /WJ-\d{4}-\d{6}/;
const ROBOT_KEY = WECOM_ROBOT_KEYS[0];

/** The app on its own PostgreSQL cluster and redis-server, both of which the tests take down. */
describe("the app while its PostgreSQL or Redis goes down", () => {
  let cluster: PostgresCluster;
  let redisPort: number;
  let redis: RedisServer;
  let robot: FakeWecomRobot;
  let app: RunningLinli;
  let appStopped = false;

  const count = async (table: "Report" | "ReportEvent" | "OutboxMessage") =>
    Number((await cluster.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`))[0]?.n);
  const reportRows = async () =>
    cluster.query<{ reference: string; description: string }>(`SELECT reference, description FROM "Report" ORDER BY reference`);

  /** Opens a transaction that keeps every new report waiting (reads still pass) until it ends. */
  const holdNewReports = async () => {
    const blocker = new pg.Client({ connectionString: cluster.url });
    blocker.on("error", () => undefined);
    await blocker.connect();
    await blocker.query(`BEGIN; LOCK TABLE "Report" IN EXCLUSIVE MODE`);
    return blocker;
  };
  const insertWaiting = async () =>
    (await cluster.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`))[0]?.n ? true : undefined;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    redisPort = await freePort();
    redis = await startRedisServer(redisPort);
    robot = await startFakeWecomRobot();
    app = await startApp("services-down", { DATABASE_URL: cluster.url, REDIS_URL: redis.url });
    await subscribeWholeTown(cluster.url, [{ channel: "wecom", address: robot.urlFor(ROBOT_KEY) }]);
  });
  afterAll(async () => {
    if (!appStopped) await app?.stop();
    await redis?.kill();
    await robot?.close();
    await cluster?.destroy();
  });

  it("Redis killed (SIGKILL) halfway through a report: residents are told the service is temporarily unavailable, nothing is half-saved, and after Redis restarts empty the conversation starts cleanly and the report is filed once", async () => {
    const resident = webResident(app.httpUrl);
    const suggested = await resident.say("鹤庆路88号门口的纸箱堆了一个星期");
    expect(suggested.text).toContain(zh.report.yes);
    const confirmCategory = resident.optionValue(zh.report.yes);

    await redis.kill();
    const whileDown = await resident.pressValue(confirmCategory);
    expect(whileDown).toMatchObject({ status: 200, text: zh.errors.unavailable });
    // A resident who was not talking yet gets the same clear answer, not an error page.
    expect(await webResident(app.httpUrl).say("紫竹半岛归哪个片区管？")).toMatchObject({ status: 200, text: zh.errors.unavailable });
    expect(await health(app.httpUrl)).toMatchObject({ status: 503, body: { database: { ok: true }, sessions: { ok: false } } });
    expect(await count("Report")).toBe(0);

    redis = await startRedisServer(redisPort);
    await eventually("the app to reconnect to Redis", async () => ((await health(app.httpUrl)).status === 200 ? true : undefined));
    // The session died with Redis: the old button is recognised as stale instead of being misread.
    const afterRestart = await resident.pressValue(confirmCategory);
    expect(afterRestart.status).toBe(200);
    expect(afterRestart.text).toContain(zh.errors.staleChoice);

    await reportUntilSummary(resident, `鹤庆路88号门口的纸箱堆了一个星期，有事打${PHONE_NUMBERS[0]}`, zh);
    const submitted = await resident.press(zh.report.confirm);
    const reference = REFERENCE.exec(submitted.text)?.[0];
    expect(reference).toBeDefined();
    expect((await reportRows()).map((row) => row.reference)).toEqual([reference]);
    // The alert was written with the report and reaches the robot once.
    await eventually("the alert at the robot", () =>
      robot.received(ROBOT_KEY).some((markdown) => markdown.includes(reference!)) ? true : undefined,
    );
    expect(robot.received(ROBOT_KEY).filter((markdown) => markdown.includes(reference!))).toHaveLength(1);
  });

  it("Redis killed while a confirmed report is being written: the report is filed whole exactly once, the resident is shown its reference with the outage notice, and telling it again after the restart offers that report instead of a second one", async () => {
    const resident = webResident(app.httpUrl);
    const text = "宝秀路10号门口的共享单车乱停了一个星期";
    const before = { reports: await count("Report"), outbox: await count("OutboxMessage") };
    await reportUntilSummary(resident, text, zh);
    // Hold new reports back in the database until Redis is dead, so the kill lands between the write and the session save.
    const blocker = await holdNewReports();
    const confirming = resident.press(zh.report.confirm);
    await eventually("the report insert to wait for the lock", insertWaiting);
    await redis.kill();
    await blocker.query("COMMIT");
    await blocker.end();
    const answer = await confirming;

    const reference = REFERENCE.exec(answer.text)?.[0];
    expect(answer.status).toBe(200);
    expect(reference, answer.text).toBeDefined();
    expect(answer.text).toContain(zh.errors.unavailable);
    expect(await count("Report")).toBe(before.reports + 1);
    // The report, its first event and its alert were one transaction: all there, none twice.
    expect(
      await cluster.query(`SELECT count(*)::int AS n FROM "ReportEvent" e JOIN "Report" r ON r.id = e."reportId" WHERE r.reference = $1`, [
        reference,
      ]),
    ).toEqual([{ n: 1 }]);
    const queued = await cluster.query<{ kind: string; ours: boolean }>(
      `SELECT kind, payload::text LIKE $2 AS ours FROM "OutboxMessage" ORDER BY "createdAt" OFFSET $1`,
      [before.outbox, `%${reference}%`],
    );
    expect(queued.filter((row) => row.kind === "alert.new")).toEqual([{ kind: "alert.new", ours: true }]);
    expect(queued.every((row) => row.ours)).toBe(true);

    redis = await startRedisServer(redisPort);
    await eventually("the app to reconnect to Redis", async () => ((await health(app.httpUrl)).status === 200 ? true : undefined));
    let again = await resident.say(text);
    for (let turn = 0; turn < 6 && !again.text.includes(zh.report.duplicatesFound); turn++) {
      const next = [zh.report.yes, zh.report.photosSkip, zh.report.noShop, zh.report.contactNo].find((label) => again.text.includes(label));
      if (!next) break;
      again = await resident.press(next);
    }
    expect(again.text).toContain(zh.report.duplicatesFound);
    expect(again.text).toContain(reference!);
    expect(await count("Report")).toBe(before.reports + 1);
  });

  it("PostgreSQL stopped (immediate shutdown) in the middle of a report's transaction: the resident is asked politely to try again, no row is written, the draft stays in the session, and after the restart the same confirm files it exactly once", async () => {
    const resident = webResident(app.httpUrl, { locale: "en" });
    const description = "Cardboard boxes have been piled outside Heqing Road 88 for a week";
    const before = { reports: await count("Report"), events: await count("ReportEvent"), outbox: await count("OutboxMessage") };
    await reportUntilSummary(resident, description, en);
    const confirm = resident.optionValue(en.report.confirm);

    // The submit's transaction has begun and waits to insert the report when the server goes down.
    const blocker = await holdNewReports();
    const confirming = resident.pressValue(confirm);
    await eventually("the report insert to wait for the lock", insertWaiting);
    await cluster.crash();
    await blocker.end().catch(() => undefined);
    expect(await confirming).toMatchObject({ status: 200, text: en.errors.generic });
    expect(await health(app.httpUrl)).toMatchObject({ status: 503, body: { database: { ok: false }, sessions: { ok: true } } });
    // Asking again while the database is still away changes nothing either.
    expect(await resident.pressValue(confirm)).toMatchObject({ status: 200, text: en.errors.generic });

    await cluster.restart();
    expect({ reports: await count("Report"), events: await count("ReportEvent"), outbox: await count("OutboxMessage") }).toEqual(before);
    await eventually("the app to reach PostgreSQL again", async () => ((await health(app.httpUrl)).status === 200 ? true : undefined));

    const submitted = await resident.pressValue(confirm);
    const reference = REFERENCE.exec(submitted.text)?.[0];
    expect(reference, submitted.text).toBeDefined();
    expect(submitted.text).toContain(`Submitted as ${reference}`);
    const rows = await reportRows();
    expect(rows.filter((row) => row.reference === reference)).toEqual([{ reference, description }]);
    expect(await count("Report")).toBe(before.reports + 1);
    // The summary's button is spent: pressing it once more files nothing new.
    const again = await resident.pressValue(confirm);
    expect(again.status).toBe(200);
    expect(REFERENCE.test(again.text)).toBe(false);
    expect(await count("Report")).toBe(before.reports + 1);
    await eventually("the alert at the robot", () =>
      robot.received(ROBOT_KEY).some((markdown) => markdown.includes(reference!)) ? true : undefined,
    );
    expect(robot.received(ROBOT_KEY).filter((markdown) => markdown.includes(reference!))).toHaveLength(1);
  });

  it("PostgreSQL stopped after a report's commit was written but before the app heard of it: the resident is asked to try again, and the retry after the restart answers with their own report as their submission, not as someone else's", async () => {
    const resident = webResident(app.httpUrl);
    const before = await count("Report");
    await reportUntilSummary(resident, "兰坪路30号的饭店油烟天天排进楼道", zh);
    const confirm = resident.optionValue(zh.report.confirm);

    // Commits now wait for a standby that does not exist: the commit record is written, its answer never comes.
    await cluster.query(`ALTER SYSTEM SET synchronous_standby_names = 'absent_standby'`);
    await cluster.query(`SELECT pg_reload_conf()`);
    const confirming = resident.pressValue(confirm);
    await eventually("the report's commit to wait for the standby", async () =>
      (await cluster.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep'`)).length > 0 ? true : undefined,
    );
    // The next start runs without the standby again; the waiting commit waits on until the crash.
    await cluster.query(`ALTER SYSTEM RESET synchronous_standby_names`);
    await cluster.crash();
    expect(await confirming).toMatchObject({ status: 200, text: zh.errors.generic });

    await cluster.restart();
    // The commit was written before the crash, so the report is there although the app was told nothing.
    expect(await count("Report")).toBe(before + 1);
    const [filed] = await cluster.query<{ reference: string }>(`SELECT reference FROM "Report" ORDER BY "createdAt" DESC LIMIT 1`);
    await eventually("the app to reach PostgreSQL again", async () => ((await health(app.httpUrl)).status === 200 ? true : undefined));

    const retried = await resident.pressValue(confirm);
    expect(retried.status).toBe(200);
    expect(retried.text).toContain(`已提交，编号 ${filed!.reference}`);
    expect(retried.text).not.toContain(zh.report.followedInstead(filed!.reference));
    expect(await count("Report")).toBe(before + 1);
    expect(
      await cluster.query(`SELECT 1 FROM "ReportFollower" f JOIN "Report" r ON r.id = f."reportId" WHERE r.reference = $1`, [
        filed!.reference,
      ]),
    ).toEqual([]);
  });

  it("after PostgreSQL died under a transaction the app still stops promptly: the dead connection was not left checked out of the pool", async () => {
    appStopped = true;
    const stopping = app.stop();
    const stopped = await Promise.race([stopping.then(() => "stopped"), sleep(10_000).then(() => "still stopping after 10 s")]);
    expect(stopped).toBe("stopped");
  });
});
