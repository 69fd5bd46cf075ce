import type { Locale } from "../../flows/kit/messages.ts";
import type { PublicRoadCount } from "../../domain/compact/compact.ts";
import type { Bilingual } from "../../domain/grid/index.ts";
import { monthPeriod, reportFigures, type FigureRow } from "../../domain/reports/figures.ts";
import type { Route } from "../http/route.ts";
import type { ConsoleContext } from "./console.ts";
import { figuresFormat, type FiguresFormat } from "./figures-format.ts";
import { html, type Html } from "./html.ts";
import { catalog, requestLocale } from "./i18n.ts";

/*
 * The public pages residents may open without signing in: the progress board
 * (how many reports each district and road committee received and resolved,
 * and how long resolving took, this month and last) and the street compact in
 * force with each road's signing count. Only counts and medians: no
 * description, reference, person, or place finer than a road.
 */

const words = catalog(
  {
    boardTitle: "办理情况",
    boardIntro: "居民通过「邻里」反映的街区问题的办理情况。只显示数量，不显示具体内容和个人信息。",
    thisMonth: (month: string) => `本月（${month}）`,
    lastMonth: (month: string) => `上月（${month}）`,
    byDistrict: "各片区（问题所在地）",
    byCommittee: "各路管会（承办方）",
    district: "片区",
    committee: "路管会",
    received: "收到",
    resolved: "办结",
    resolveTime: "办结用时（中位数）",
    unplaced: "未定位",
    districtCommittee: "片区委员会承办",
    workingTimeNote: "办结用时按工作时间计算，不含周末、节假日和夜间。",
    compactTitle: "街区公约",
    effectiveFrom: (date: string) => `自 ${date} 起施行`,
    noCompact: "本镇尚未发布街区公约。",
    signing: "各道路商户签署情况",
    road: "道路",
    signed: "已签署",
    shops: "商户数",
    signedShare: "签署率",
    noShops: "暂无登记商户。",
  },
  {
    boardTitle: "Progress board",
    boardIntro:
      "How the street problems residents report through Linli are handled. Counts only: no report's content and no personal data.",
    thisMonth: (month: string) => `This month (${month})`,
    lastMonth: (month: string) => `Last month (${month})`,
    byDistrict: "Districts (where the problem is)",
    byCommittee: "Road committees (who handles it)",
    district: "District",
    committee: "Road committee",
    received: "Received",
    resolved: "Resolved",
    resolveTime: "Time to resolve (median)",
    unplaced: "Not placed",
    districtCommittee: "Handled by a district committee",
    workingTimeNote: "Times to resolve are counted in working time; weekends, holidays and nights do not count.",
    compactTitle: "Street compact",
    effectiveFrom: (date: string) => `In force from ${date}`,
    noCompact: "The town has not published a street compact yet.",
    signing: "Shops that signed, road by road",
    road: "Road",
    signed: "Signed",
    shops: "Shops",
    signedShare: "Signed share",
    noShops: "No shops are registered yet.",
  },
);

type Words = (typeof words)[Locale];

/** One table of the board: a row per district or committee, this month's and last month's three figures side by side. */
function boardTable(
  heading: Html,
  first: string,
  months: [FigureRow[], FigureRow[]],
  none: string,
  text: Words,
  format: FiguresFormat,
  locale: Locale,
  monthLabels: [string, string],
): Html {
  const [current, previous] = months;
  const currentOf = new Map(current.map((row) => [row.code, row]));
  const previousOf = new Map(previous.map((row) => [row.code, row]));
  // Every district or committee of the town is in both lists; a "none" row only where it had cases.
  const rows = [...current, ...previous.filter((row) => !currentOf.has(row.code))];
  const cells = (row: FigureRow | undefined) =>
    html`<td class="number">${format.count(row?.received ?? 0)}</td>
      <td class="number">${format.count(row?.resolved ?? 0)}</td>
      <td class="number">${format.workingTime(row?.medianResolveMinutes ?? null)}</td>`;
  return html`${heading}
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col" rowspan="2">${first}</th>
            <th scope="colgroup" colspan="3">${monthLabels[0]}</th>
            <th scope="colgroup" colspan="3">${monthLabels[1]}</th>
          </tr>
          <tr>
            ${[0, 1].map(
              () =>
                html`<th scope="col" class="number">${text.received}</th>
                  <th scope="col" class="number">${text.resolved}</th>
                  <th scope="col" class="number">${text.resolveTime}</th>`,
            )}
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (row) =>
              html`<tr data-code="${row.code ?? ""}">
                <th scope="row">${row.name ? row.name[locale] : none}</th>
                ${cells(currentOf.get(row.code))} ${cells(previousOf.get(row.code))}
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

/** GET /board and GET /compact: public, bilingual, revalidated on every visit (the shell's no-cache). */
export function publicPageRoutes(context: Pick<ConsoleContext, "db" | "townCode" | "calendar" | "services" | "shell" | "clock">): Route[] {
  const board: Route = {
    method: "GET",
    path: "/board",
    async handle(request) {
      const locale = requestLocale(request);
      const text = words[locale];
      const now = context.clock();
      const { calendar } = context;
      const deps = { sql: context.db.sql, townCode: context.townCode, calendar };
      const thisMonth = monthPeriod(calendar, now, 0);
      const lastMonth = monthPeriod(calendar, now, 1);
      const [current, previous] = await Promise.all([
        reportFigures(deps, { period: thisMonth, now }),
        reportFigures(deps, { period: lastMonth, now }),
      ]);
      const format = figuresFormat(locale, calendar.minutesPerDay);
      const monthLabels: [string, string] = [text.thisMonth(thisMonth.buckets[0]!.label), text.lastMonth(lastMonth.buckets[0]!.label)];
      const main = html`<p>${text.boardIntro}</p>
        <section class="panel">
          ${boardTable(
            html`<h2>${text.byDistrict}</h2>`,
            text.district,
            [current.districts, previous.districts],
            text.unplaced,
            text,
            format,
            locale,
            monthLabels,
          )}
        </section>
        <section class="panel">
          ${boardTable(
            html`<h2>${text.byCommittee}</h2>`,
            text.committee,
            [current.roadCommittees, previous.roadCommittees],
            text.districtCommittee,
            text,
            format,
            locale,
            monthLabels,
          )}
        </section>
        <p class="muted">${text.workingTimeNote}</p>`;
      return context.shell.render({
        request,
        locale,
        audience: { type: "public" },
        page: "board",
        title: text.boardTitle,
        main,
        styles: ["figures.css"],
      });
    },
  };

  const compact: Route = {
    method: "GET",
    path: "/compact",
    async handle(request) {
      const locale = requestLocale(request);
      const text = words[locale];
      const [version, roads] = await Promise.all([context.services.compact.inForce(), context.services.compact.publicCounts()]);
      const format = figuresFormat(locale, context.calendar.minutesPerDay);
      const title: Bilingual | undefined = version?.title;
      const main = html`${version
          ? html`<article class="panel compact-text">
              <h2>${title![locale]}</h2>
              <p class="muted">${text.effectiveFrom(context.calendar.localDate(version.effectiveFrom))}</p>
              <ol class="clauses">
                ${version.clauses.map((clause) => html`<li><strong>${clause.ref}</strong> ${clause.text[locale]}</li>`)}
              </ol>
            </article>`
          : html`<p class="notice">${text.noCompact}</p>`}
        <section class="panel">
          <h2>${text.signing}</h2>
          ${roads.length === 0 ? html`<p class="muted">${text.noShops}</p>` : signingTable(roads, text, format, locale)}
        </section>`;
      return context.shell.render({
        request,
        locale,
        audience: { type: "public" },
        page: "compact",
        title: text.compactTitle,
        main,
        styles: ["figures.css"],
      });
    },
  };
  return [board, compact];
}

/** Each road's compact signing count as a table: the public compact page and the staff figures show the same one. */
export function signingTable(
  roads: readonly PublicRoadCount[],
  words: { road: string; signed: string; shops: string; signedShare: string },
  format: FiguresFormat,
  locale: Locale,
): Html {
  return html`<div class="table-wrap">
    <table>
      <thead>
        <tr>
          <th scope="col">${words.road}</th>
          <th scope="col" class="number">${words.signed}</th>
          <th scope="col" class="number">${words.shops}</th>
          <th scope="col" class="number">${words.signedShare}</th>
        </tr>
      </thead>
      <tbody>
        ${roads.map(
          (road) =>
            html`<tr data-code="${road.roadCode}">
              <th scope="row">${road.road[locale]}</th>
              <td class="number">${format.count(road.signed)}</td>
              <td class="number">${format.count(road.total)}</td>
              <td class="number">${format.percent(road.total === 0 ? null : road.signed / road.total)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
