/*
 * CSV that staff open in Excel: Excel only reads UTF-8 (Chinese names) when the
 * file starts with a byte-order mark, and it runs any cell beginning with
 * = + - @ (or a tab or carriage return) as a formula, which a resident could
 * abuse through their name or skills (CSV injection).
 */

const BOM = "\uFEFF";
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** A cell as written: formula starters defused with a leading apostrophe, quoted when RFC 4180 requires it. */
function cell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * Encodes rows (the first one the header) as RFC 4180 CSV: CRLF line ends,
 * fields with quotes, commas or line breaks quoted and their quotes doubled,
 * UTF-8 with a byte-order mark, and every cell neutralised against formula
 * injection.
 */
export function toCsv(rows: readonly (readonly string[])[]): Buffer {
  return Buffer.from(BOM + rows.map((row) => `${row.map(cell).join(",")}\r\n`).join(""), "utf8");
}
