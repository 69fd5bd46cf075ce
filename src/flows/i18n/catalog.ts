import type { Locale } from "../kit/messages.ts";
import { en } from "./en.ts";
import { zh } from "./zh.ts";

/** The shape every locale's catalog must fill completely; the Chinese one defines it. */
export type Catalog = typeof zh;

const catalogs: Record<Locale, Catalog> = { zh, en };

/** The catalog of a locale. */
export function catalogFor(locale: Locale): Catalog {
  return catalogs[locale];
}
