import { describe, expect, it } from "vitest";
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
