import { describe, expect, it } from "vitest";
import { collectedLines } from "./support/logs.ts";
import { FORBIDDEN_IN_LOGS, spellingsOf } from "./support/secrets.ts";

/** Runs after every other fault file (see vitest.faults.config.ts), over every line the app wrote while they ran. */
describe("the logs written while the faults were injected", () => {
  it("hold no Telegram token, webhook secret, WeCom robot key, database password or full mobile number in any line, in any spelling", async () => {
    const lines = await collectedLines();
    // An empty collection would pass vacuously: the other files must have run and logged, failures included.
    expect(lines.length).toBeGreaterThan(100);
    expect(new Set(lines.map((line) => line.file)).size).toBeGreaterThanOrEqual(5);
    expect(lines.some(({ line }) => /"level":"(warn|error)"/.test(line))).toBe(true);
    const leaks = lines.flatMap(({ file, line }) =>
      FORBIDDEN_IN_LOGS.filter(({ value }) => spellingsOf(value).some((spelling) => line.includes(spelling))).map(
        ({ what }) => `${file}: ${what} in ${line.slice(0, 300)}`,
      ),
    );
    expect(leaks).toEqual([]);
    // Any other 11-digit mainland mobile number is as personal as the ones the tests typed.
    const phones = lines
      .filter(({ line }) => /(?<!\d)1[3-9]\d{9}(?!\d)/.test(line))
      .map(({ file, line }) => `${file}: ${line.slice(0, 300)}`);
    expect(phones).toEqual([]);
  });
});
