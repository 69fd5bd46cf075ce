import type { Locale } from "../../flows/kit/messages.ts";
import type { HttpRequest } from "../http/route.ts";
import { cookieValue } from "./cookies.ts";

/** The cookie that remembers the language a visitor chose with the page's language switch. */
export const LANGUAGE_COOKIE = "linli_lang";

/**
 * Words of one page in every locale. Each page module keeps its own catalog
 * beside its template (so pages do not share one growing file); English is
 * checked against the Chinese shape, so a sentence missing in either fails the
 * type check.
 */
export function catalog<Shape>(zh: Shape, en: NoInfer<Shape>): Record<Locale, Shape> {
  return { zh, en };
}

/**
 * The language to answer a web request in: `?lang=` when the visitor just
 * chose, else the language cookie, else the browser's first preference between
 * Chinese and English, else Chinese.
 */
export function requestLocale(request: HttpRequest): Locale {
  const chosen = request.query.get("lang") ?? cookieValue(request.headers.cookie, LANGUAGE_COOKIE);
  if (chosen === "zh" || chosen === "en") return chosen;
  const preferred = (request.headers["accept-language"] ?? "")
    .split(",")
    .map((part) => part.trim().slice(0, 2).toLowerCase())
    .find((code) => code === "zh" || code === "en");
  return preferred === "en" ? "en" : "zh";
}

/** Headers that keep a language the visitor chose with `?lang=` for the next pages; nothing when they did not choose. */
export function languageCookie(request: HttpRequest): Record<string, string> {
  const chosen = request.query.get("lang");
  if (chosen !== "zh" && chosen !== "en") return {};
  return { "Set-Cookie": `${LANGUAGE_COOKIE}=${chosen}; Path=/; Max-Age=31536000; SameSite=Lax` };
}
