import type { CompactStanding } from "../../domain/compact/standing.ts";
import type { Bilingual } from "../../domain/grid/index.ts";
import type { Catalog } from "../i18n/catalog.ts";
import type { Locale } from "../kit/messages.ts";

/** What staff are told about any case, whether in a group alert or in /case. */
export interface CaseFacts {
  clause: { ref: string; text: Bilingual };
  place: Bilingual;
  position: { latitude: number; longitude: number } | null;
  description: string;
  shop: Bilingual | null;
  /** The shop's standing with the compact in force; absent or null when unknown. */
  shopStanding?: CompactStanding | null;
  photoCount: number;
  supporters: number;
  route: { name: Bilingual } | null;
}

/**
 * The lines describing a case to staff: clause, place with a map link when the
 * resident shared a position, description, shop (and whether it has signed
 * the compact in force), photos, followers and the committee it is routed
 * to. One wording for alerts and /case.
 */
export function caseFactLines(facts: CaseFacts, t: Catalog, locale: Locale): string[] {
  const a = t.alerts;
  const lines = [a.clause(facts.clause.ref, facts.clause.text[locale]), a.place(facts.place[locale])];
  // Amap reads WGS-84 when told so, and opens in the map apps staff in Shanghai use.
  if (facts.position)
    lines.push(a.map(`https://uri.amap.com/marker?position=${facts.position.longitude},${facts.position.latitude}&coordinate=wgs84`));
  lines.push(a.description(facts.description));
  if (facts.shop) {
    // A shop that never signed the compact in force (or not its new version) is worth knowing before talking to it.
    const standing = facts.shopStanding === "none" || facts.shopStanding === "outdated" ? facts.shopStanding : undefined;
    lines.push(
      a.shop(standing ? t.shopReports.shopWithStanding(facts.shop[locale], t.shopReports.standing[standing]) : facts.shop[locale]),
    );
  }
  lines.push(a.photos(facts.photoCount), a.supporters(facts.supporters), facts.route ? a.route(facts.route.name[locale]) : a.unrouted);
  return lines;
}
