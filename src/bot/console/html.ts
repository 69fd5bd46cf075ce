/**
 * Markup that is already safe to put in a page. Only {@link html} and
 * {@link trustedHtml} make one, so a string from the town's data or a
 * resident's report can reach a page only escaped.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What a page template accepts in a slot: text is escaped, `Html` is kept, lists are joined, and nothing-values vanish. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

/**
 * Builds a fragment of a page. Every interpolated value is escaped for text
 * and double-quoted attributes alike, so a template never has to choose;
 * `false`, `null` and `undefined` render as nothing, which keeps optional parts
 * of a template inline (`${open && html`…`}`).
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? "");
  });
  return new Html(out);
}

/** Markup the code itself produced (never data): the one way to put unescaped text in a page. */
export function trustedHtml(markup: string): Html {
  return new Html(markup);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false || value === true) return "";
  return escapeHtml(String(value));
}

/** Text safe in HTML text and in a double- or single-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
