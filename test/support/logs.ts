import { createLogger, type Logger } from "../../src/log.ts";

/** One line a {@link testLogger} wrote, parsed: `level`, `message`, the time and the fields. */
export type LoggedLine = { level: string; message: string } & Record<string, unknown>;

/** Lines logged since the last check, in order; a test file's setup checks and clears them after each test. */
const lines: LoggedLine[] = [];
/** The error lines the running test declared with {@link expectErrorLogs}, and whether one has been seen. */
let expected: { pattern: RegExp; seen: boolean }[] = [];

/**
 * The logger every test hands the code under test: it writes nothing to the
 * terminal but records each line (at debug level, redacted with `secrets` as
 * production redacts), so a test can read what was said and an error line
 * nobody expected fails the test (see test/support/log-check.ts).
 */
export function testLogger(options: { secrets?: readonly string[] } = {}): Logger {
  return createLogger({
    level: "debug",
    ...(options.secrets ? { secrets: options.secrets } : {}),
    sink: (line) => lines.push(JSON.parse(line) as LoggedLine),
  });
}

/** Every line the test loggers wrote during the running test so far (the live list: it grows as the code logs). */
export function loggedLines(): readonly LoggedLine[] {
  return lines;
}

/**
 * Declares that the running test makes the code log an error matching
 * `pattern` (tested against the line as JSON): such lines no longer fail the
 * test, and the test fails if no line matches it by its end.
 */
export function expectErrorLogs(pattern: RegExp): void {
  expected.push({ pattern, seen: false });
}

/**
 * The check run after each test (and after each file, for what its hooks
 * logged): throws naming every error line no declaration covers, and every
 * declaration no line matched. Forgets the lines and declarations either way,
 * so the next test starts clean.
 */
export function checkErrorLogs(when: string): void {
  const unexpected: string[] = [];
  for (const line of lines) {
    if (line.level !== "error") continue;
    const json = JSON.stringify(line);
    const covering = expected.filter((declared) => declared.pattern.test(json));
    for (const declared of covering) declared.seen = true;
    if (covering.length === 0) unexpected.push(json);
  }
  const unseen = expected.filter((declared) => !declared.seen).map((declared) => String(declared.pattern));
  lines.length = 0;
  expected = [];
  const problems = [
    ...unexpected.map((line) => `unexpected error logged ${when}: ${line}`),
    ...unseen.map((pattern) => `an error matching ${pattern} was expected ${when} but none was logged`),
  ];
  if (problems.length > 0) throw new Error(problems.join("\n"));
}
