import type { GridIndex } from "../../domain/grid/index.ts";
import type { PublicReportView, ReportPlace, ReportView } from "../../domain/reports/service.ts";
import type { Catalog } from "../i18n/catalog.ts";
import type { Locale } from "../kit/messages.ts";

/** A report reference as residents type it: prefix, year and serial (see formatReference), in any case. */
export const REFERENCE_PATTERN = /^[A-Za-z]{2,4}-\d{4}-\d{6}$/;

/** A place in words: road and number, neighbourhood, or the district of a shared location. */
export function placeLabel(place: ReportPlace, grid: GridIndex, t: Catalog, locale: Locale): string {
  const road = place.roadCode ? grid.road(place.roadCode) : undefined;
  if (road) return t.lookup.answer.roadPlace(road.name[locale], place.houseNumber ?? null);
  const neighbourhood = place.neighbourhoodCode ? grid.neighbourhood(place.neighbourhoodCode) : undefined;
  if (neighbourhood) return neighbourhood.name[locale];
  const district = place.districtCode ? grid.district(place.districtCode) : undefined;
  if (district) return t.report.placeLabel.located(district.name[locale]);
  return t.report.placeLabel.unknown;
}

/**
 * A report as the domain lets this reader see it: in full with its timeline
 * (no identities, free text already masked), or only its kind, road and status.
 */
export function formatReportView(view: ReportView | PublicReportView, t: Catalog, locale: Locale, timeZone: string): string {
  const r = t.report;
  if (view.relation === "none") {
    const lines = [r.viewTitle(view.reference, r.status[view.status]), r.summaryCategory(view.category[locale])];
    if (view.road) lines.push(r.viewRoad(view.road[locale]));
    lines.push("", r.viewPublicOnly);
    return lines.join("\n");
  }
  const lines = [
    r.viewTitle(view.reference, r.status[view.status]),
    r.summaryCategory(view.category[locale]),
    r.summaryPlace(view.place[locale]),
    r.summaryDescription(view.description),
    r.summaryPhotos(view.photoCount),
  ];
  if (view.route) lines.push(r.viewRoute(view.route.name[locale]));
  lines.push(r.viewSupporters(view.supporters));
  if (view.rejectReason) lines.push(r.viewRejected(r.rejectReasons[view.rejectReason]));
  lines.push("", r.timelineTitle);
  for (const entry of view.timeline) lines.push(timelineLine(entry, r.timelineBy[entry.by], t, locale, timeZone));
  return lines.join("\n");
}

// Made once per zone: toLocaleString builds a new formatter on every call, a visible cost where reports are listed.
const townTimeFormats = new Map<string, Record<Locale, Intl.DateTimeFormat>>();

/** A moment as residents and staff of the town read it: their date and clock time, in the town's zone `timeZone`. */
export function townTime(at: Date, locale: Locale, timeZone: string): string {
  let formats = townTimeFormats.get(timeZone);
  if (!formats) {
    formats = {
      zh: new Intl.DateTimeFormat("zh-CN", { timeZone, dateStyle: "short", timeStyle: "short" }),
      en: new Intl.DateTimeFormat("en-GB", { timeZone, dateStyle: "short", timeStyle: "short" }),
    };
    townTimeFormats.set(timeZone, formats);
  }
  return formats[locale].format(at);
}

/** One line of a case's history; `by` is who acted as the reader may see it (a role, or "resident"). */
export function timelineLine(
  entry: Omit<ReportView["timeline"][number], "by">,
  by: string,
  t: Catalog,
  locale: Locale,
  timeZone: string,
): string {
  const r = t.report;
  const what = entry.status && entry.type === "STATUS_CHANGED" ? r.status[entry.status] : r.timelineEvent[entry.type];
  return `· ${townTime(entry.at, locale, timeZone)} ${what}（${by}）${entry.note ? `：${entry.note}` : ""}`;
}
