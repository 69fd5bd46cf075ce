import cluster from "node:cluster";
import { createDispatcher, sessionKey } from "./bot/dispatch.ts";
import { createTelegramChannel } from "./bot/channels/telegram/channel.ts";
import { createWebChannel } from "./bot/channels/web/channel.ts";
import { chatPageTown } from "./bot/channels/web/page.ts";
import { createWebInbox, createWebSender } from "./bot/channels/web/inbox.ts";
import { createTelegramSender } from "./bot/channels/telegram/sender.ts";
import { createWecomRobotSender } from "./bot/channels/wecom/robot.ts";
import { createWecomBotChannel, createWecomSender } from "./bot/channels/wecom/channel.ts";
import { createWecomImageFetcher } from "./bot/channels/wecom/files.ts";
import { createOutboxWorker } from "./bot/notify/outbox-worker.ts";
import { renderOutboxRow } from "./bot/notify/render.ts";
import type { Route } from "./bot/http/route.ts";
import { startHttpServer } from "./bot/http/server.ts";
import { createConsoleAccess } from "./bot/console/routes.ts";
import { createConsole } from "./bot/console/console.ts";
import { createMemoryLimiter, type RateLimiter } from "./bot/limits/limiter.ts";
import { createRedisLimiter } from "./bot/limits/redis-limiter.ts";
import { createMemoryStore } from "./bot/sessions/memory-store.ts";
import { createRedisStore } from "./bot/sessions/redis-store.ts";
import { createRedisWebSessionStore } from "./bot/sessions/web-session-redis.ts";
import type { SessionStore } from "./bot/sessions/store.ts";
import { ConfigError, type Config } from "./config.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { GridDirectory } from "./domain/grid/directory.ts";
import { importTownData } from "./domain/town/import.ts";
import { commandsFor, declaredCommands } from "./flows/kit/commands.ts";
import { FLOWS } from "./flows/registry.ts";
import { createAlertScheduler } from "./domain/reports/schedule.ts";
import { createWorkingCalendar, type WorkingCalendar } from "./domain/time/working-time.ts";
import type { FirstAdminResult } from "./domain/staff/registry.ts";
import { deepLinks, type DeepLinks } from "./flows/kit/flow.ts";
import { invitationLines } from "./admin/commands.ts";
import { startAdminServer } from "./admin/socket.ts";
import { createMediaStore } from "./bot/media/store.ts";
import { createPhotoSaver } from "./bot/media/photo-saver.ts";
import { createTelegramFileFetcher } from "./bot/channels/telegram/files.ts";
import { createLogger, type Logger } from "./log.ts";
import { createServices } from "./services.ts";
import { readTownFile } from "./towndata/town-file.ts";
import { DEVELOPMENT_MESSAGES_FILE, readLabelledMessages } from "./towndata/labelled-messages.ts";

/** How often a running bot looks for a re-imported town-data file. */
const TOWN_DATA_REFRESH_MS = 60_000;
/** How often escalations, deadline reminders and daily digests are looked for. */
const SCHEDULER_INTERVAL_MS = 60_000;

/** A started Linli: where its HTTP server listens, and how to stop everything in order. */
export interface RunningLinli {
  httpUrl: string;
  /** Lines for the operator's terminal, not the log: the first admin's invitation on a town without one. */
  notices: string[];
  stop(): Promise<void>;
}

/** The title the first admin's invitation grants; the admin can invite others with their own. */
const FIRST_ADMIN_LABEL = "管理员";

/**
 * The composition root: config → database → town data → sessions → flows →
 * channels. Everything concrete is chosen here and nowhere else, so tests and
 * the benchmark start exactly what production starts.
 */
export async function startLinli(config: Config, options: { logger?: Logger } = {}): Promise<RunningLinli> {
  // Several workers write to one stream; each line says which one wrote it.
  const logger =
    options.logger ??
    createLogger({ level: config.logLevel, secrets: config.secrets, fields: cluster.worker ? { worker: cluster.worker.id } : {} });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) {
      await step().catch((error: unknown) => logger.error("shutdown step failed", { error }));
    }
  };
  try {
    const db = await openDatabase(config.database, { purpose: "npm start" });
    stops.push(() => db.close());
    await loadTownIfEmpty(db, config, logger);
    const grid = await GridDirectory.open(db.prisma, config.town.code, await readLabelledMessages(DEVELOPMENT_MESSAGES_FILE));
    const refresh = setInterval(() => {
      grid.refreshIfChanged().then(
        (changed) => changed && logger.info("town data changed; lookups now use the new import"),
        (error: unknown) => logger.warn("could not check the town data for changes", { error }),
      );
    }, TOWN_DATA_REFRESH_MS);
    refresh.unref();
    stops.push(async () => clearInterval(refresh));

    const store: SessionStore = config.redisUrl
      ? await createRedisStore({ url: config.redisUrl, keyPrefix: `linli:${config.town.code}:`, logger })
      : createMemoryStore({ maxEntries: config.memorySessionsMax });
    stops.push(() => store.close());
    // Limits are shared state: with Redis, every worker and machine counts in the same windows.
    const limiter: RateLimiter = config.redisUrl
      ? await createRedisLimiter({ url: config.redisUrl, keyPrefix: `linli:${config.town.code}:`, logger })
      : createMemoryLimiter();
    stops.push(() => limiter.close());
    // Console sessions follow the chat sessions: Redis when configured, else the database (createServices' default).
    const webSessionStore = config.redisUrl
      ? await createRedisWebSessionStore({ url: config.redisUrl, keyPrefix: `linli:${config.town.code}:`, logger })
      : undefined;
    if (webSessionStore) stops.push(() => webSessionStore.close());

    const media = createMediaStore({
      root: config.media.dir,
      sql: db.sql,
      maxBytes: config.media.maxBytes,
      limits: config.media.limits,
      logger: logger.child({ component: "media" }),
    });
    // The web chat uploads photos before sending them, so its file ids already are media ids.
    const photos = createPhotoSaver({
      store: media,
      fetchers: {
        ...(config.telegram ? { telegram: createTelegramFileFetcher(config.telegram) } : {}),
        ...(config.wecomBot ? { wecom: createWecomImageFetcher(config.wecomBot) } : {}),
      },
      preStored: ["web"],
      logger: logger.child({ component: "photos" }),
    });
    // Known once the Telegram channel has met its bot (getMe); until then invitations carry only the code.
    let telegramUsername: string | undefined;
    // Known once the HTTP server listens (PUBLIC_URL when set, else its own address).
    let webChatUrl: string | undefined = undefined;
    const links = deepLinks({ webChatUrl: () => webChatUrl, telegramUsername: () => telegramUsername });
    const services = createServices({
      db,
      grid,
      townCode: config.town.code,
      rules: {
        timeZone: config.workingTime.timeZone,
        reports: config.reports,
        signUpsPerAddressPerHour: config.web.signUpsPerAddressPerHour,
        consoleSessions: config.consoleSessions,
      },
      photos,
      limiter,
      links,
      webSessionStore,
    });
    const dispatcher = createDispatcher({
      store,
      flows: FLOWS,
      services,
      logger,
      idleMs: config.sessionIdleMs,
    });

    // Menus list the public commands; staff find theirs in /help.
    const menu = commandsFor(declaredCommands(FLOWS));
    const telegram = config.telegram && createTelegramChannel({ ...config.telegram, handler: dispatcher, media, menu, logger });
    const inbox = createWebInbox(store);
    const web = createWebChannel({
      handler: dispatcher,
      media,
      inbox,
      menu,
      limiter,
      // A web client id with a session has spoken before; one without spends its address's budget. While the
      // store is down the dispatcher answers "temporarily unavailable" anyway, so nobody's budget is spent.
      newClients: {
        isKnown: (clientId) =>
          store.read(sessionKey({ channel: "web", chatId: clientId, userId: clientId })).then(
            (session) => session !== undefined,
            () => true,
          ),
        perAddressPerHour: config.web.newClientsPerAddressPerHour,
      },
      logger: logger.child({ channel: "web" }),
      town: () => chatPageTown(grid.index),
    });
    const wecomBot =
      config.wecomBot &&
      createWecomBotChannel({ ...config.wecomBot, handler: dispatcher, store, inbox, logger: logger.child({ channel: "wecom" }) });
    const outbox = createOutboxWorker({
      sql: db.sql,
      render: (row) => renderOutboxRow(row, config.workingTime.timeZone),
      limiter,
      senders: {
        ...(config.telegram
          ? { telegram: createTelegramSender({ token: config.telegram.token, apiRoot: config.telegram.apiRoot, media, logger }) }
          : {}),
        web: createWebSender(inbox),
        wecom: createWecomSender({ robot: createWecomRobotSender({ media }), bot: wecomBot ? wecomBot.sender : undefined }),
      },
      logger,
    });
    // The web chat and the WeCom callback serve as soon as the HTTP server listens; Telegram only once start() registered its webhook or began polling.
    const channelsReady = (): Record<string, { ready: boolean }> => ({
      web: { ready: true },
      ...(telegram ? { telegram: { ready: telegram.ready() } } : {}),
      ...(wecomBot ? { wecom: { ready: true } } : {}),
    });
    const health: Route = {
      method: "GET",
      path: "/healthz",
      async handle() {
        const [database, sessions, photos] = await Promise.all([db.ping(), store.ping(), media.usage().catch(() => undefined)]);
        const channels = channelsReady();
        const notReady = Object.keys(channels).filter((channel) => !channels[channel]?.ready);
        const ok = database && sessions && notReady.length === 0;
        return {
          status: ok ? 200 : 503,
          headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
          body: JSON.stringify({
            status: ok ? "ok" : database && sessions ? "not ready" : "degraded",
            database: { kind: db.kind, ok: database },
            sessions: { kind: config.redisUrl ? "redis" : "memory", ok: sessions },
            channels,
            ...(notReady.length > 0 ? { notReady } : {}),
            media: photos,
          }),
        };
      },
    };
    outbox.start();
    stops.push(() => outbox.stop());
    // One calendar for the scheduler's deadlines and the console's working-time figures.
    const calendar = await workingCalendar(db, config);
    const scheduler = createAlertScheduler({
      prisma: db.prisma,
      sql: db.sql,
      townCode: config.town.code,
      calendar,
      dailyDigestAt: config.workingTime.dailyDigestAt,
      logger,
    });
    let scheduled: Promise<unknown> | undefined;
    const schedule = setInterval(() => {
      // A run still working off a backlog is not overtaken by the next one.
      scheduled ??= Promise.all([
        scheduler.runOnce(),
        services.classes.queueReminders(undefined, config.classReminderLeadHours),
        services.compact.queueCompactReminders(),
        media.sweepUnattached(),
        services.signIn.sweep(),
      ])
        .catch((error: unknown) => logger.warn("scheduled alerts failed; the next run tries again", { error }))
        .finally(() => {
          scheduled = undefined;
        });
    }, SCHEDULER_INTERVAL_MS);
    schedule.unref();
    stops.push(async () => {
      clearInterval(schedule);
      await scheduled;
    });
    if (config.adminSocket) {
      const admin = await startAdminServer(
        config.adminSocket,
        {
          db,
          townCode: config.town.code,
          timeZone: config.workingTime.timeZone,
          links,
          backupDir: config.database.kind === "pglite" ? config.database.backupDir : undefined,
          afterImport: () => grid.refreshIfChanged().then(() => undefined),
        },
        logger.child({ component: "admin" }),
      );
      stops.push(() => admin.close());
    }
    // Behind HTTPS the session cookie is Secure; on a plain-HTTP address (a local trial) a browser would drop a Secure cookie.
    const consoleAccess = createConsoleAccess({
      signIn: services.signIn,
      secureCookies: config.http.publicUrl?.startsWith("https:") ?? false,
    });
    const http = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      routes: [
        health,
        ...web.routes,
        ...createConsole({
          access: consoleAccess,
          services,
          db,
          townCode: config.town.code,
          media,
          calendar,
          logger: logger.child({ component: "console" }),
          clock: () => new Date(),
          map: config.map,
        }),
        ...(telegram ? telegram.routes : []),
        ...(wecomBot ? wecomBot.routes : []),
      ],
      logger,
    });
    stops.push(() => http.close());
    // The page is served at "/" and calls its API relatively, so a public URL may carry a path prefix.
    webChatUrl = (config.http.publicUrl ?? http.url).replace(/\/?$/, "/");
    if (telegram) {
      await telegram.start();
      telegramUsername = telegram.username();
      stops.push(() => telegram.stop());
    }
    const notices = firstAdminNotice(await services.staff.inviteFirstAdmin(FIRST_ADMIN_LABEL), links);
    logger.info("Linli is running", {
      url: http.url,
      database: db.kind,
      sessions: config.redisUrl ? "redis" : "memory",
      telegram: telegram ? (config.telegram?.webhook ? "webhook" : "polling") : "off",
      wecomBot: wecomBot ? "on" : "off",
    });
    return { httpUrl: http.url, notices, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What the operator is told about the town's first admin: the invitation when one was just made, a reminder while it waits. */
function firstAdminNotice(result: FirstAdminResult, links: DeepLinks): string[] {
  switch (result.type) {
    case "hasAdmin":
      return [];
    case "pending":
      return [
        `本镇尚无管理员：启动时打印过的管理员邀请仍有效至 ${result.expiresAt.toISOString()}；如已遗失，运行 npm run staff:invite -- --role admin --label ${FIRST_ADMIN_LABEL}`,
        `This town has no admin yet: the admin invitation printed earlier is valid until ${result.expiresAt.toISOString()}; if it is lost, run npm run staff:invite -- --role admin --label ${FIRST_ADMIN_LABEL}`,
      ];
    case "created":
      return [
        "本镇尚无管理员，这是第一位管理员的一次性邀请 / This town has no admin yet; here is the first admin's one-time invitation:",
        ...invitationLines(result.code, result.expiresAt, links),
      ];
  }
}

/** The town's working calendar: the office week from the configuration, holidays and make-up working days from the imported town data. */
async function workingCalendar(db: Database, config: Config): Promise<WorkingCalendar> {
  const town = await db.prisma.town.findUniqueOrThrow({
    where: { code: config.town.code },
    select: { holidays: true, extraWorkingDays: true },
  });
  const { workingDays, workingHours, timeZone } = config.workingTime;
  return createWorkingCalendar({ timeZone, workingDays, workingHours, holidays: town.holidays, extraWorkingDays: town.extraWorkingDays });
}

/** A fresh database gets the configured town file, so `npm start` answers out of the box. */
async function loadTownIfEmpty(db: Database, config: Config, logger: Logger): Promise<void> {
  if (await db.prisma.town.findUnique({ where: { code: config.town.code }, select: { code: true } })) return;
  const file = await readTownFile(config.town.dataFile);
  if (file.data.town.code !== config.town.code) {
    throw new ConfigError([
      { variable: "TOWN_DATA_FILE", message: `describes town "${file.data.town.code}" but TOWN_CODE is "${config.town.code}"` },
    ]);
  }
  await importTownData(db.prisma, file.data, file.hash, config.workingTime.timeZone);
  logger.info("loaded town data into an empty database", { file: config.town.dataFile });
}
