import type { Locale } from "../../flows/kit/messages.ts";
import { cohortFigures, type CohortFigures } from "../../domain/classes/figures.ts";
import type { PublicRoadCount } from "../../domain/compact/compact.ts";
import type { Bilingual } from "../../domain/grid/index.ts";
import { reportFigures, weeksPeriod, type FigureRow, type ReportFigures } from "../../domain/reports/figures.ts";
import type { HttpRequest, Route } from "../http/route.ts";
import { publicPageRoutes, signingTable } from "./board.ts";
import { staffPage, type ConsoleContext } from "./console.ts";
import { figuresFormat, type FiguresFormat } from "./figures-format.ts";
import { html, type Html } from "./html.ts";
import { catalog } from "./i18n.ts";

/** Periods the figures page offers, in ISO weeks ending with the current one; the first is the default. */
export const FIGURE_WEEKS = [8, 4, 13, 26] as const;

/** One chart the page's script draws: bars per label, one series per measure; the numbers are the table's. */
export interface ChartSpec {
  /** The id of the element the chart goes in. */
  id: string;
  labels: string[];
  series: { name: string; values: (number | null)[] }[];
  /** Values are shares (0–1) and the axis reads in percent. */
  percent?: boolean;
  /** Bars run sideways, for long names on a phone. */
  horizontal?: boolean;
}

/** What the figures page hands its script in `#page-data`. */
export interface FiguresPageData {
  locale: Locale;
  charts: ChartSpec[];
}

/** Everything the figures page shows, computed in a handful of statements (see {@link loadFigures}). */
export interface FiguresPageFigures {
  reports: ReportFigures;
  compact: PublicRoadCount[];
  classes: CohortFigures[];
}

const words = catalog(
  {
    title: "统计",
    period: "时间范围",
    weeks: (n: number) => `最近 ${n} 周`,
    district: "片区",
    wholeTown: "全镇",
    show: "显示",
    summary: "概况",
    periodText: (from: string, to: string) => `${from} 至 ${to}（本镇时间）`,
    byWeek: "按周",
    byDistrict: "按片区（案件所在地）",
    byCommittee: "按路管会（承办方）",
    byCategory: "按类别",
    satisfaction: "居民评价",
    compact: "街区公约签署进度",
    classes: "治理学院班级",
    week: "周",
    name: "名称",
    received: "新收",
    resolved: "办结",
    open: "未办结",
    overdue: "超期",
    claimTime: "认领用时（中位数）",
    resolveTime: "办结用时（中位数）",
    reopenRate: "重开率",
    ratings: "评价数",
    ratingAverage: "平均评分",
    unplaced: "未定位",
    districtCommittee: "片区委员会承办",
    stars: (n: number) => `${n} 星`,
    share: "占比",
    road: "道路",
    signed: "已签署",
    shops: "商户数",
    signedShare: "签署率",
    cohort: "班级",
    capacity: "名额",
    seated: "已录取",
    waiting: "候补",
    fillRate: "满额率",
    sessionsHeld: "已上课次",
    attendanceRate: "出勤率",
    noShops: "暂无登记商户。",
    noCohorts: "这段时间没有招生或开课的班级。",
    chartOf: (what: string) => `图表：${what}（数字见下表）`,
    workingTimeNote: "用时按工作时间计算（工作日的办公时间，不含周末、节假日和夜间）；未办结和超期为当前数字。",
  },
  {
    title: "Figures",
    period: "Period",
    weeks: (n: number) => `Last ${n} weeks`,
    district: "District",
    wholeTown: "Whole town",
    show: "Show",
    summary: "Summary",
    periodText: (from: string, to: string) => `${from} to ${to} (town time)`,
    byWeek: "By week",
    byDistrict: "By district (where the case is)",
    byCommittee: "By road committee (who handles it)",
    byCategory: "By category",
    satisfaction: "Residents' ratings",
    compact: "Street compact signing",
    classes: "Governance academy classes",
    week: "Week",
    name: "Name",
    received: "Received",
    resolved: "Resolved",
    open: "Open",
    overdue: "Overdue",
    claimTime: "Time to claim (median)",
    resolveTime: "Time to resolve (median)",
    reopenRate: "Reopened",
    ratings: "Ratings",
    ratingAverage: "Average rating",
    unplaced: "Not placed",
    districtCommittee: "Handled by a district committee",
    stars: (n: number) => `${n} ${n === 1 ? "star" : "stars"}`,
    share: "Share",
    road: "Road",
    signed: "Signed",
    shops: "Shops",
    signedShare: "Signed share",
    cohort: "Class",
    capacity: "Seats",
    seated: "Seated",
    waiting: "Waiting list",
    fillRate: "Fill rate",
    sessionsHeld: "Sessions held",
    attendanceRate: "Attendance",
    noShops: "No shops are registered yet.",
    noCohorts: "No class enrolled or met in this period.",
    chartOf: (what: string) => `Chart: ${what} (the numbers are in the table below)`,
    workingTimeNote:
      "Times are counted in working time (office hours on working days; weekends, holidays and nights do not count). Open and overdue are as of now.",
  },
);

type Words = (typeof words)[Locale];

/**
 * The figures of the figures page for a period of `weeks` ISO weeks up to now
 * and optionally one district: report figures, compact signing per road and
 * the academy's cohorts, in a handful of aggregate statements. What the
 * benchmark of the page measures.
 */
export async function loadFigures(
  context: Pick<ConsoleContext, "db" | "townCode" | "calendar" | "services">,
  options: { now: Date; weeks: number; districtCode: string | null },
): Promise<FiguresPageFigures> {
  const { db, townCode, calendar } = context;
  const period = weeksPeriod(calendar, options.now, options.weeks);
  const [reports, compact, classes] = await Promise.all([
    reportFigures({ sql: db.sql, townCode, calendar }, { period, now: options.now, districtCode: options.districtCode }),
    context.services.compact.publicCounts(),
    cohortFigures(db.sql, townCode, period.from, options.now),
  ]);
  return { reports, compact, classes };
}

/** A row's name in the page's language, or what a row without one stands for. */
const nameOf = (name: Bilingual | null, locale: Locale, none: string) => (name ? name[locale] : none);

/** The chart's box: a labelled image for assistive technology, filled by the page's script. */
const chartBox = (id: string, label: string) => html`<div class="chart" id="${id}" role="img" aria-label="${label}"></div>`;

function rowsTable(rows: FigureRow[], first: string, none: string, text: Words, format: FiguresFormat, locale: Locale): Html {
  const withNow = rows.some((row) => row.open !== null);
  return html`<div class="table-wrap">
    <table>
      <thead>
        <tr>
          <th scope="col">${first}</th>
          <th scope="col" class="number">${text.received}</th>
          <th scope="col" class="number">${text.resolved}</th>
          ${withNow &&
          html`<th scope="col" class="number">${text.open}</th>
            <th scope="col" class="number">${text.overdue}</th>`}
          <th scope="col" class="number">${text.claimTime}</th>
          <th scope="col" class="number">${text.resolveTime}</th>
          <th scope="col" class="number">${text.reopenRate}</th>
          <th scope="col" class="number">${text.ratings}</th>
          <th scope="col" class="number">${text.ratingAverage}</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr data-code="${row.code ?? ""}">
              <th scope="row">${nameOf(row.name, locale, none)}</th>
              <td class="number">${format.count(row.received)}</td>
              <td class="number">${format.count(row.resolved)}</td>
              ${withNow &&
              html`<td class="number">${format.count(row.open ?? 0)}</td>
                <td class="number">${format.count(row.overdue ?? 0)}</td>`}
              <td class="number">${format.workingTime(row.medianClaimMinutes)}</td>
              <td class="number">${format.workingTime(row.medianResolveMinutes)}</td>
              <td class="number">${format.percent(row.reopenRate)}</td>
              <td class="number">${format.count(row.ratings)}</td>
              <td class="number">${format.decimal(row.ratingAverage)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** Bars of received, resolved and (for rows with a "now") open and overdue cases. */
function rowsChart(id: string, rows: FigureRow[], text: Words, locale: Locale, none: string, horizontal: boolean): ChartSpec {
  const withNow = rows.some((row) => row.open !== null);
  return {
    id,
    labels: rows.map((row) => nameOf(row.name, locale, none)),
    series: [
      { name: text.received, values: rows.map((row) => row.received) },
      { name: text.resolved, values: rows.map((row) => row.resolved) },
      ...(withNow
        ? [
            { name: text.open, values: rows.map((row) => row.open) },
            { name: text.overdue, values: rows.map((row) => row.overdue) },
          ]
        : []),
    ],
    horizontal,
  };
}

/** The page's main part and its charts. */
function figuresMain(
  figures: FiguresPageFigures,
  selection: { weeks: number; districtCode: string | null; districts: { code: string; name: Bilingual }[] },
  locale: Locale,
  format: FiguresFormat,
  lastDay: string,
): { main: Html; charts: ChartSpec[] } {
  const text = words[locale];
  const { reports, compact, classes } = figures;
  const total = reports.total;
  const charts: ChartSpec[] = [
    rowsChart("chart-weeks", reports.buckets, text, locale, "", false),
    rowsChart("chart-districts", reports.districts, text, locale, text.unplaced, true),
    rowsChart("chart-committees", reports.roadCommittees, text, locale, text.districtCommittee, true),
    rowsChart("chart-categories", reports.categories, text, locale, "", true),
    {
      id: "chart-ratings",
      labels: [1, 2, 3, 4, 5].map((n) => text.stars(n)),
      series: [{ name: text.ratings, values: reports.ratingDistribution }],
    },
    {
      id: "chart-compact",
      labels: compact.map((road) => road.road[locale]),
      series: [{ name: text.signedShare, values: compact.map((road) => (road.total === 0 ? null : road.signed / road.total)) }],
      percent: true,
      horizontal: true,
    },
    {
      id: "chart-classes",
      labels: classes.map((cohort) => cohort.title[locale]),
      series: [
        { name: text.fillRate, values: classes.map((cohort) => cohort.fillRate) },
        { name: text.attendanceRate, values: classes.map((cohort) => cohort.attendanceRate) },
      ],
      percent: true,
      horizontal: true,
    },
  ];
  // Wide tables go under their chart; short ones beside it on a wide screen.
  const section = (id: string, heading: string, body: Html, chart = true, beside = false) =>
    html`<section class="panel figures-group" aria-labelledby="${id}-heading">
      <h2 id="${id}-heading">${heading}</h2>
      <div class="figures-pair${beside ? " beside" : ""}">${chart && chartBox(`chart-${id}`, text.chartOf(heading))} ${body}</div>
    </section>`;
  const ratingsTotal = reports.ratingDistribution.reduce((sum, n) => sum + n, 0);
  const main = html`<form class="panel figures-filter" method="get" action="figures">
      <label
        >${text.period}
        <select name="weeks">
          ${FIGURE_WEEKS.map((n) => html`<option value="${n}" ${n === selection.weeks ? html`selected` : ""}>${text.weeks(n)}</option>`)}
        </select>
      </label>
      <label
        >${text.district}
        <select name="district">
          <option value="">${text.wholeTown}</option>
          ${selection.districts.map(
            (d) => html`<option value="${d.code}" ${d.code === selection.districtCode ? html`selected` : ""}>${d.name[locale]}</option>`,
          )}
        </select>
      </label>
      <button type="submit" class="primary">${text.show}</button>
    </form>
    <section class="panel" aria-labelledby="summary-heading">
      <h2 id="summary-heading">${text.summary}</h2>
      <p class="muted">${text.periodText(reports.period.buckets[0]!.startDate, lastDay)}</p>
      <dl class="figures-summary">
        ${(
          [
            ["received", text.received, format.count(total.received)],
            ["resolved", text.resolved, format.count(total.resolved)],
            ["open", text.open, format.count(total.open ?? 0)],
            ["overdue", text.overdue, format.count(total.overdue ?? 0)],
            ["claim", text.claimTime, format.workingTime(total.medianClaimMinutes)],
            ["resolve", text.resolveTime, format.workingTime(total.medianResolveMinutes)],
            ["reopen", text.reopenRate, format.percent(total.reopenRate)],
            ["rating", text.ratingAverage, format.decimal(total.ratingAverage)],
          ] as const
        ).map(
          ([key, label, value]) =>
            html`<div data-figure="${key}">
              <dt>${label}</dt>
              <dd>${value}</dd>
            </div>`,
        )}
      </dl>
      <p class="muted">${text.workingTimeNote}</p>
    </section>
    ${section("weeks", text.byWeek, rowsTable(reports.buckets, text.week, "", text, format, locale))}
    ${section("districts", text.byDistrict, rowsTable(reports.districts, text.district, text.unplaced, text, format, locale))}
    ${section("committees", text.byCommittee, rowsTable(reports.roadCommittees, text.name, text.districtCommittee, text, format, locale))}
    ${section("categories", text.byCategory, rowsTable(reports.categories, text.name, "", text, format, locale))}
    ${section(
      "ratings",
      text.satisfaction,
      html`<div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">${text.ratingAverage}</th>
              <th scope="col" class="number">${text.ratings}</th>
              <th scope="col" class="number">${text.share}</th>
            </tr>
          </thead>
          <tbody>
            ${reports.ratingDistribution.map(
              (count, index) =>
                html`<tr>
                  <th scope="row">${text.stars(index + 1)}</th>
                  <td class="number">${format.count(count)}</td>
                  <td class="number">${format.percent(ratingsTotal === 0 ? null : count / ratingsTotal)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>`,
      true,
      true,
    )}
    ${section(
      "compact",
      text.compact,
      compact.length === 0 ? html`<p class="muted">${text.noShops}</p>` : signingTable(compact, text, format, locale),
      compact.length > 0,
      true,
    )}
    ${section(
      "classes",
      text.classes,
      classes.length === 0
        ? html`<p class="muted">${text.noCohorts}</p>`
        : html`<div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">${text.cohort}</th>
                  <th scope="col" class="number">${text.capacity}</th>
                  <th scope="col" class="number">${text.seated}</th>
                  <th scope="col" class="number">${text.waiting}</th>
                  <th scope="col" class="number">${text.fillRate}</th>
                  <th scope="col" class="number">${text.sessionsHeld}</th>
                  <th scope="col" class="number">${text.attendanceRate}</th>
                </tr>
              </thead>
              <tbody>
                ${classes.map(
                  (cohort) =>
                    html`<tr data-code="${cohort.code}">
                      <th scope="row">${cohort.course[locale]} · ${cohort.title[locale]}</th>
                      <td class="number">${format.count(cohort.capacity)}</td>
                      <td class="number">${format.count(cohort.seated)}</td>
                      <td class="number">${format.count(cohort.waiting)}</td>
                      <td class="number">${format.percent(cohort.fillRate)}</td>
                      <td class="number">${format.count(cohort.sessionsHeld)}</td>
                      <td class="number">${format.percent(cohort.attendanceRate)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`,
      classes.length > 0,
      true,
    )}`;
  return { main, charts: charts.filter((chart) => chart.labels.length > 0) };
}

/** `?weeks=` when it is one the page offers, else the default. */
const weeksOf = (request: HttpRequest): number => FIGURE_WEEKS.find((n) => String(n) === request.query.get("weeks")) ?? FIGURE_WEEKS[0];

/**
 * The figures page (GET /console/figures, staff only) and the public board and
 * compact pages. Figures are aggregates without personal data, so every
 * signed-in member of staff sees the whole town's, as the staff check admits them.
 */
export function figuresRoutes(context: ConsoleContext): Route[] {
  const figures: Route = {
    method: "GET",
    path: "/console/figures",
    handle: staffPage(context, async (request, { staff, csrfToken, locale }) => {
      const districts = context.services.grid.index.snapshot.districts.map((d) => ({ code: d.code, name: d.name }));
      const asked = request.query.get("district");
      const districtCode = districts.some((d) => d.code === asked) ? asked : null;
      const weeks = weeksOf(request);
      const now = context.clock();
      const loaded = await loadFigures(context, { now, weeks, districtCode });
      const format = figuresFormat(locale, context.calendar.minutesPerDay);
      const { main, charts } = figuresMain(loaded, { weeks, districtCode, districts }, locale, format, context.calendar.localDate(now));
      return context.shell.render({
        request,
        locale,
        audience: { type: "staff", staff, csrfToken },
        page: "figures",
        title: words[locale].title,
        main,
        scripts: ["figures"],
        styles: ["figures.css"],
        data: { locale, charts } satisfies FiguresPageData,
      });
    }),
  };
  return [figures, ...publicPageRoutes(context)];
}
