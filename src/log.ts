import { maskPersonalNumbers } from "./domain/privacy.ts";

/** Severity of a log line; `silent` turns logging off (tests, benchmarks). */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Structured logging, one JSON object a line. Every line passes through redaction. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

const jsonEscaped = (text: string) => JSON.stringify(text).slice(1, -1);

/**
 * Every way a secret can be spelled in a JSON log line: as it is, escaped
 * inside a JSON string (a `"` becomes `\"`, a `\` becomes `\\`), escaped
 * twice (a JSON body quoted in an error message), and percent-encoded (a URL
 * in a message). Longest first, so a longer spelling is replaced whole before
 * a shorter one could cut into it.
 */
function spellingsOf(secrets: readonly string[]): string[] {
  const spellings = new Set<string>();
  for (const secret of secrets) {
    if (secret === "") continue;
    for (const form of [secret, encodeURIComponent(secret)]) {
      spellings.add(form);
      spellings.add(jsonEscaped(form));
      spellings.add(jsonEscaped(jsonEscaped(form)));
    }
  }
  return [...spellings].sort((a, b) => b.length - a.length);
}

/**
 * Removes secrets, however a JSON line spells them, and personal numbers from
 * a string bound for a log line. Every secret counts, however short: the
 * configuration refuses short ones (see MIN_SECRET_LENGTH in config.ts), since
 * redacting a short word would also blank out ordinary text.
 */
export function redact(text: string, secrets: readonly string[]): string {
  return redactSpellings(text, spellingsOf(secrets));
}

function redactSpellings(text: string, spellings: readonly string[]): string {
  let out = text;
  for (const spelling of spellings) out = out.split(spelling).join("[redacted]");
  return maskPersonalNumbers(out);
}

/**
 * Creates a logger writing JSON lines to `sink` (stderr by default). `secrets`
 * are replaced wherever they appear, including inside error messages and stacks.
 */
export function createLogger(options: {
  level: LogLevel;
  secrets?: readonly string[];
  sink?: (line: string) => void;
  fields?: Record<string, unknown>;
}): Logger {
  const spellings = spellingsOf(options.secrets ?? []);
  const sink = options.sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  const threshold = ORDER[options.level];
  const base = options.fields ?? {};
  const write = (level: Exclude<LogLevel, "silent">, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields }, (_key, value: unknown) =>
      value instanceof Error ? errorFields(value, 0) : value,
    );
    sink(redactSpellings(line, spellings));
  };
  return {
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** How many causes deep an error is logged: a chain longer than this (or one that loops back on itself) is cut. */
const MAX_CAUSE_DEPTH = 5;

/**
 * What a log line keeps of an error: its name, message, `code` (a Node system
 * error's ECONNREFUSED, PostgreSQL's SQLSTATE, Prisma's P2002) and stack, and
 * its `cause` the same way, since a wrapped error's cause is usually what an
 * operator needs (a cause that is no Error is kept as it is).
 */
function errorFields(error: Error, depth: number): Record<string, unknown> {
  const { code } = error as { code?: unknown };
  const { cause } = error;
  const causeField =
    cause === undefined
      ? {}
      : { cause: !(cause instanceof Error) ? cause : depth < MAX_CAUSE_DEPTH ? errorFields(cause, depth + 1) : "[further causes cut]" };
  return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }), stack: error.stack, ...causeField };
}
