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

// Mainland mobile numbers (optionally +86) and 18-character ID card numbers; keep
// the first three and last two digits so staff can still tell log lines apart.
const PHONE = /(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)(\d{4})(\d{2})(\d{2})(?!\d)/g;
const ID_CARD = /(?<![0-9A-Za-z])(\d{3})\d{13}([\dXx]{2})(?![0-9A-Za-z])/g;

/** Removes secrets and personal numbers from a string bound for a log line. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 6) out = out.split(secret).join("[redacted]");
  }
  return out.replace(PHONE, "$1****$4").replace(ID_CARD, "$1*************$2");
}

/**
 * Creates a logger writing JSON lines to `sink` (stderr by default). `secrets`
 * are replaced wherever they appear, including inside error messages and stacks.
 */
export function createLogger(options: { level: LogLevel; secrets?: readonly string[]; sink?: (line: string) => void; fields?: Record<string, unknown> }): Logger {
  const secrets = options.secrets ?? [];
  const sink = options.sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  const threshold = ORDER[options.level];
  const base = options.fields ?? {};
  const write = (level: Exclude<LogLevel, "silent">, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields }, (_key, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value,
    );
    sink(redact(line, secrets));
  };
  return {
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}
