import { describe, expect, it } from "vitest";
import { createLogger, redact } from "../src/log.ts";
import { checkErrorLogs, expectErrorLogs, testLogger } from "./support/logs.ts";

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
  it.each(SECRETS)(
    "the secret %s appears in no spelling in a message, a field, an error's message and stack, a quoted JSON body or a URL, and each line stays JSON",
    (secret) => {
      const lines = logged(SECRETS, (logger) => {
        logger.info(`connecting with ${secret}`);
        logger.warn("field", { password: secret, nested: { again: [secret] } });
        logger.error("driver failed", { error: new Error(`auth failed for "${secret}"`) });
        logger.error("upstream answered", { body: JSON.stringify({ token: secret }) });
        logger.error("request failed", {
          url: `https://user:${encodeURIComponent(secret)}@db.example/x?password=${encodeURIComponent(secret)}`,
        });
      });
      expect(lines).toHaveLength(5);
      for (const line of lines) {
        expect(() => JSON.parse(line)).not.toThrow();
        expect(line).toContain("[redacted]");
        for (const spelling of spellings(secret)) expect(line, `${JSON.stringify(spelling)} in ${line}`).not.toContain(spelling);
      }
    },
  );

  it("keeps the rest of the line as written and still masks mobile numbers", () => {
    const [line] = logged(['s3cr"et-value'], (logger) => logger.info('user 13812345678 sent s3cr"et-value twice: s3cr"et-value'));
    expect(JSON.parse(line!).message).toBe("user 138****5678 sent [redacted] twice: [redacted]");
    expect(redact("plain text", [""])).toBe("plain text");
  });
});

describe("logging an error", () => {
  /** The `error` field of the one line logging `error`. */
  const loggedError = (error: unknown, secrets: readonly string[] = []) => {
    const [line] = logged(secrets, (logger) => logger.error("step failed", { error }));
    return JSON.parse(line!).error as Record<string, unknown>;
  };

  it("keeps the error's name, message, code and stack", () => {
    const error = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    expect(loggedError(error)).toEqual({
      name: "Error",
      message: "connect ECONNREFUSED 127.0.0.1:5432",
      code: "ECONNREFUSED",
      stack: error.stack,
    });
  });

  it("keeps the causes of a wrapped error, each with its own code and stack, and a cause that is no Error as it is", () => {
    const root = Object.assign(new Error("duplicate key value"), { code: "23505" });
    const middle = new TypeError("insert failed", { cause: root });
    const top = new Error("could not file the report", { cause: middle });
    const fields = loggedError(top);
    expect(fields).toMatchObject({
      message: "could not file the report",
      cause: { name: "TypeError", message: "insert failed", stack: middle.stack, cause: { message: "duplicate key value", code: "23505" } },
    });
    expect(fields.code).toBeUndefined();
    expect(loggedError(new Error("outer", { cause: { status: 503 } }))).toMatchObject({ cause: { status: 503 } });
  });

  it("cuts a chain of causes five deep, so an error that is its own cause still makes one line", () => {
    const looping = new Error("again and again");
    looping.cause = looping;
    let fields = loggedError(looping);
    for (let depth = 0; depth < 5; depth++) {
      expect(fields.message).toBe("again and again");
      fields = fields.cause as Record<string, unknown>;
    }
    expect(fields.cause).toBe("[further causes cut]");
  });

  it("redacts secrets and masks mobile numbers in the causes too", () => {
    const cause = new Error("password pa55-word-xyz refused for 13812345678");
    const line = JSON.stringify(loggedError(new Error("login failed", { cause }), ["pa55-word-xyz"]));
    expect(line).not.toContain("pa55-word-xyz");
    expect(line).not.toContain("13812345678");
    expect(line).toContain("password [redacted] refused for 138****5678");
  });
});

describe("the check that fails a test on an unexpected error log", () => {
  it("throws naming an error line nobody declared, and forgets it once checked", () => {
    testLogger().error("update failed", { reason: "boom" });
    testLogger().warn("a warning is no failure");
    expect(() => checkErrorLogs("here")).toThrow(/unexpected error logged here: .*"update failed".*boom/);
    expect(() => checkErrorLogs("here")).not.toThrow();
  });

  it("lets a declared error line pass, and throws when a declared error never came", () => {
    expectErrorLogs(/update failed/);
    testLogger().error("update failed");
    expect(() => checkErrorLogs("here")).not.toThrow();
    expectErrorLogs(/photo missing/);
    expect(() => checkErrorLogs("here")).toThrow("an error matching /photo missing/ was expected here but none was logged");
  });
});
