/**
 * A report reference as residents and staff see it: the town's prefix, the
 * year in the town's zone and a six-digit serial (`<prefix>-2026-000123`).
 * The one place the format is written, so the numbers issued and the examples
 * prompts show cannot drift apart.
 */
export function formatReference(prefix: string, year: number, serial: number): string {
  return `${prefix}-${year}-${String(serial).padStart(6, "0")}`;
}
