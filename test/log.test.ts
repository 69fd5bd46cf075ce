import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, MIN_SECRET_LENGTH } from "../src/config.ts";
import { createLogger, redact } from "../src/log.ts";

/** Secrets as operators write them: with quotes, backslashes, URL-special characters, and (where validation lets them) short. */
const SECRETS = ['pa"ss\\word-1', "\\\\double\\\\", 'q"u"o"t"e"s', "sp ace&at@#%", "k9"];

function logged(secrets: readonly string[], write: (logger: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  write(createLogger({ level: "debug", secrets, sink: (line) => lines.push(line) }));
  return lines;
}

/** Every spelling a secret could take in a line: as is, JSON-escaped once and twice, percent-encoded. */
function spellings(secret: string): string[] {
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  return [secret, json(secret), json(json(secret)), encodeURIComponent(secret)];
}

describe("log redaction", () => {
  it.each(SECRETS)("the secret %s appears in no spelling in a message, a field, an error's message and stack, a quoted JSON body or a URL, and each line stays JSON", (secret) => {
    const lines = logged(SECRETS, (logger) => {
      logger.info(`connecting with ${secret}`);
      logger.warn("field", { password: secret, nested: { again: [secret] } });
      logger.error("driver failed", { error: new Error(`auth failed for "${secret}"`) });
      logger.error("upstream answered", { body: JSON.stringify({ token: secret }) });
      logger.error("request failed", { url: `https://user:${encodeURIComponent(secret)}@db.example/x?password=${encodeURIComponent(secret)}` });
    });
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).toContain("[redacted]");
      for (const spelling of spellings(secret)) expect(line, `${JSON.stringify(spelling)} in ${line}`).not.toContain(spelling);
    }
  });

  it("keeps the rest of the line as written and still masks mobile numbers", () => {
    const [line] = logged(["s3cr\"et-value"], (logger) => logger.info("user 13812345678 sent s3cr\"et-value twice: s3cr\"et-value"));
    expect(JSON.parse(line!).message).toBe("user 138****5678 sent [redacted] twice: [redacted]");
    expect(redact("plain text", [""])).toBe("plain text");
  });

  it(`refuses a WeCom Token or a database or Redis password shorter than ${MIN_SECRET_LENGTH} characters, naming the variable`, () => {
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems.map((problem) => problem.variable);
        throw error;
      }
      return [];
    };
    const key = "A".repeat(43);
    expect(refused({ WECOM_BOT_TOKEN: "abc1234", WECOM_BOT_ENCODING_AES_KEY: key })).toEqual(["WECOM_BOT_TOKEN"]);
    expect(refused({ WECOM_BOT_TOKEN: "abcd1234", WECOM_BOT_ENCODING_AES_KEY: key })).toEqual([]);
    expect(refused({ DATABASE_URL: "postgres://linli:linli@db/linli" })).toEqual(["DATABASE_URL"]);
    expect(refused({ DATABASE_URL: "postgresql:///linli?host=/run/postgresql&password=short" })).toEqual(["DATABASE_URL"]);
    expect(refused({ REDIS_URL: "redis://:pw@cache:6379" })).toEqual(["REDIS_URL"]);
    expect(refused({ DATABASE_URL: "postgres://linli@db/linli", REDIS_URL: "redis://cache:6379" })).toEqual([]);
    expect(refused({ DATABASE_URL: `postgres://linli:${encodeURIComponent('long"enough\\pw')}@db/linli` })).toEqual([]);
  });
});
