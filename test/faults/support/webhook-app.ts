import type { RunningLinli } from "../../../src/app.ts";
import { createPostgresDatabase } from "../../support/databases.ts";
import { startFakeTelegram, type FakeTelegram } from "../../support/fake-telegram.ts";
import { freePort } from "../../support/global-setup.ts";
import { startRedisServer, type RedisServer } from "../../support/redis-server.ts";
import { startApp } from "./app.ts";
import { TELEGRAM_TOKEN, WEBHOOK_SECRET, withDatabasePassword } from "./secrets.ts";

/** The app in Telegram webhook mode (the scale-out deployment) on PostgreSQL and a redis-server of its own. */
export interface WebhookApp {
  app: RunningLinli;
  telegram: FakeTelegram;
  databaseUrl: string;
  /** Where the app takes webhook deliveries, as the reverse proxy in front of it would forward them. */
  webhookUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the fake Bot API, a redis-server and the app registering its webhook
 * with the fake, which then delivers every update a user sends by POSTing it
 * to the app with the secret, concurrently when users act concurrently.
 */
export async function startWebhookApp(name: string, env: Record<string, string> = {}): Promise<WebhookApp> {
  const telegram = await startFakeTelegram({ token: TELEGRAM_TOKEN });
  const redis: RedisServer = await startRedisServer(await freePort());
  const databaseUrl = await createPostgresDatabase();
  const app = await startApp(name, {
    DATABASE_URL: withDatabasePassword(databaseUrl),
    REDIS_URL: redis.url,
    TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
    TELEGRAM_API_ROOT: telegram.url,
    TELEGRAM_WEBHOOK_URL: "https://linli.example.org/telegram/webhook",
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ...env,
  });
  const webhookUrl = `${app.httpUrl}/telegram/webhook`;
  telegram.routeWebhookTo(webhookUrl);
  return {
    app,
    telegram,
    databaseUrl,
    webhookUrl,
    stop: async () => {
      await app.stop();
      await redis.kill();
      await telegram.close();
    },
  };
}
