/**
 * Every secret and personal number the fault suite hands the app. They are
 * defined once so the log scan at the end of the suite knows exactly what must
 * never appear in any log line the app wrote while the faults were injected.
 */

/** The Telegram bot token the app is configured with (a real token's shape: numeric bot id, colon, 35 characters). */
export const TELEGRAM_TOKEN = "7712345678:AAFault-Suite-Token_0123456789abcdefg";
/** The webhook secret the app checks on `POST /telegram/webhook`. */
export const WEBHOOK_SECRET = "fault-suite-webhook-secret-9f8e7d6c";
/** Keys of the WeCom group robots alerts go to; the key is the robot's only credential. */
export const WECOM_ROBOT_KEYS = [
  "fault-robot-key-3b1e0c2d-5f6a-4b7c-8d9e-0a1b2c3d4e5f",
  "fault-robot-key-77aa88bb-99cc-4dd0-8ee1-ff2233445566",
] as const;
/** The WeCom intelligent bot's callback Token and EncodingAESKey (43 characters), set on the process the SIGKILL test runs. */
export const WECOM_BOT_TOKEN = "FaultSuiteWecomToken42";
export const WECOM_AES_KEY = "FaultSuiteAesKey0123456789abcdefghijklmnopq";
/**
 * The PostgreSQL password in the webhook app's DATABASE_URL (the test cluster
 * trusts local connections, so any password works): a quote and a backslash,
 * which a JSON log line spells `\"` and `\\`.
 */
export const DATABASE_PASSWORD = 'fault"db\\pass-7';
/** `url` with {@link DATABASE_PASSWORD} as its password. */
export function withDatabasePassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(DATABASE_PASSWORD);
  return parsed.href;
}
/** Full mainland mobile numbers residents type into the chat during the suite. */
export const PHONE_NUMBERS = ["13812345678", "15987654321"] as const;

/** What the log scan looks for: none of these may appear in a log line, in any of {@link spellingsOf}. */
export const FORBIDDEN_IN_LOGS: readonly { what: string; value: string }[] = [
  { what: "the Telegram bot token", value: TELEGRAM_TOKEN },
  // The token's secret half alone is as good as the whole token.
  { what: "the secret half of the Telegram bot token", value: TELEGRAM_TOKEN.split(":")[1] ?? TELEGRAM_TOKEN },
  { what: "the Telegram webhook secret", value: WEBHOOK_SECRET },
  { what: "the WeCom bot token", value: WECOM_BOT_TOKEN },
  { what: "the WeCom EncodingAESKey", value: WECOM_AES_KEY },
  ...WECOM_ROBOT_KEYS.map((key) => ({ what: "a WeCom robot key", value: key })),
  { what: "the database password", value: DATABASE_PASSWORD },
  ...PHONE_NUMBERS.map((phone) => ({ what: "a full mobile number", value: phone })),
];

/** Every way a value can be written in a JSON log line: as is, JSON-escaped once and twice, and percent-encoded as in a URL. */
export function spellingsOf(value: string): string[] {
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  return [...new Set([value, json(value), json(json(value)), encodeURIComponent(value)])];
}
