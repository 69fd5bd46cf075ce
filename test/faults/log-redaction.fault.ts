import { describe, expect, it } from "vitest";
import { loadConfig, MIN_SECRET_LENGTH } from "../../src/config.ts";
import { createPostgresDatabase } from "../support/databases.ts";
import { startApp } from "./support/app.ts";
import { startAppProcess } from "./support/app-process.ts";
import { collectedLines, collectingLogger } from "./support/logs.ts";
import { DATABASE_PASSWORD, spellingsOf, WECOM_AES_KEY, withDatabasePassword } from "./support/secrets.ts";

describe("secrets that are hard to keep out of the logs", () => {
  it(`a start with a WeCom Token or a database password shorter than ${MIN_SECRET_LENGTH} characters is refused, naming the variable`, async () => {
    const short = startAppProcess("log-redaction-short", {
      PORT: "0",
      WECOM_BOT_TOKEN: "abc",
      WECOM_BOT_ENCODING_AES_KEY: WECOM_AES_KEY,
      DATABASE_URL: "postgres://linli:pw@127.0.0.1:1/linli",
    });
    await expect(short).rejects.toThrow(
      /WECOM_BOT_TOKEN: must be the 8-32 letters[\s\S]*DATABASE_URL: has a password shorter than 8 characters/,
    );
  });

  it("a database password with a quote and a backslash is in no spelling in the app's log when a driver error quotes its connection string", async () => {
    const url = withDatabasePassword(await createPostgresDatabase());
    const app = await startApp("log-redaction", { DATABASE_URL: url });
    try {
      // The logger the app is built with from the same environment, given what a driver's error would say.
      const logger = collectingLogger("log-redaction", loadConfig({ DATABASE_URL: url }));
      logger.error("database connection failed", {
        error: new Error(`could not connect to ${url} (password "${DATABASE_PASSWORD}")`),
        body: JSON.stringify({ url }),
      });
      const lines = (await collectedLines()).filter(({ file }) => file === "log-redaction.log").map(({ line }) => line);
      expect(lines.some((line) => line.includes("database connection failed") && line.includes("[redacted]"))).toBe(true);
      expect(lines.filter((line) => spellingsOf(DATABASE_PASSWORD).some((spelling) => line.includes(spelling)))).toEqual([]);
    } finally {
      await app.stop();
    }
  });
});
