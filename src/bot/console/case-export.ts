import ExcelJS from "exceljs";
import type { CaseListRow } from "../../domain/reports/case-list.ts";
import { localDateOf, localDateTimeOf, zoneClock } from "../../domain/time/zone.ts";
import { catalogFor } from "../../flows/i18n/catalog.ts";
import type { Locale } from "../../flows/kit/messages.ts";
import type { HttpRequest, HttpResponse, Route } from "../http/route.ts";
import { consoleCaseList, deskChoices, deskQueryString, deskWords, readDeskQuery } from "./case-filters.ts";
import { staffPage, type ConsoleContext, type SignedIn } from "./console.ts";
import { html } from "./html.ts";
import { catalog } from "./i18n.ts";

/** Most cases one export holds; a wider filter is asked to narrow down rather than tie up the server. */
export const EXPORT_CAP = 50_000;

const words = catalog(
  {
    title: "导出案件",
    sheet: "案件",
    fileStem: "案件",
    yes: "是",
    no: "否",
    tooMany: (total: number, cap: number) =>
      `符合条件的案件有 ${total.toLocaleString("zh-CN")} 条，超过一次导出的上限 ${cap.toLocaleString("zh-CN")} 条。请缩小筛选范围（例如按日期或片区）后再导出。`,
    back: "返回案件列表",
  },
  {
    title: "Export cases",
    sheet: "Cases",
    fileStem: "cases",
    yes: "yes",
    no: "no",
    tooMany: (total: number, cap: number) =>
      `${total.toLocaleString("en")} cases match, more than the ${cap.toLocaleString("en")} one export may hold. Please narrow the filters (for example by date or district) and export again.`,
    back: "Back to the case list",
  },
);

/** A column of the export: its header, width in characters, and the cell of a row. */
interface Column {
  header: string;
  width: number;
  value: (row: CaseListRow) => string | Date;
}

/** How the workbook shows a time: the date and the minute, as the desk does. */
const DATE_FORMAT = "yyyy-mm-dd hh:mm";

function columnsOf(locale: Locale): Column[] {
  const desk = deskWords[locale];
  const text = words[locale];
  const statusNames = catalogFor(locale).report.status;
  return [
    { header: desk.reference, width: 18, value: (row) => row.reference },
    { header: desk.status, width: 12, value: (row) => statusNames[row.status] },
    { header: desk.overdue, width: 8, value: (row) => (row.overdue ? text.yes : text.no) },
    { header: desk.category, width: 20, value: (row) => row.category[locale] },
    { header: desk.place, width: 24, value: (row) => row.place[locale] },
    { header: desk.district, width: 16, value: (row) => row.district?.[locale] ?? "" },
    { header: desk.committee, width: 20, value: (row) => row.roadCommittee?.[locale] ?? "" },
    { header: desk.created, width: 18, value: (row) => row.createdAt },
    { header: desk.updated, width: 18, value: (row) => row.updatedAt },
    { header: desk.claimedBy, width: 18, value: (row) => row.claimedBy ?? "" },
  ];
}

/**
 * `GET /console/export.xlsx` and `/console/export.csv`: every case the desk's
 * filters match (not one page), in the desk's order and the page's language,
 * at most {@link EXPORT_CAP}. The columns are the desk's: the reporter's
 * identity and contact are never in a file, and places stop at the road.
 * Times are the town's local times (real dates in the workbook). A filter the
 * desk would refuse gets the desk's 400 page instead of a file.
 */
export function caseExportRoutes(context: ConsoleContext): Route[] {
  const list = consoleCaseList(context);
  const timeZone = context.calendar.settings.timeZone;

  const exporting =
    (kind: "xlsx" | "csv") =>
    async (request: HttpRequest, signedIn: SignedIn): Promise<HttpResponse> => {
      const { locale } = signedIn;
      const { choices } = await deskChoices(context);
      const desk = readDeskQuery(request.query, choices);
      const message = (body: string, status: number) =>
        context.shell.render({
          request,
          locale,
          audience: { type: "staff", staff: signedIn.staff, csrfToken: signedIn.csrfToken },
          page: "cases",
          title: words[locale].title,
          main: html`<p class="error" role="alert">${body}</p>
            <p><a href="cases?${deskQueryString(desk)}">${words[locale].back}</a></p>`,
          status,
        });
      if (desk.problems.length > 0) {
        const problems = deskWords[locale].problems;
        return message(`${deskWords[locale].problemIntro} ${desk.problems.map((problem) => problems[problem]).join(" ")}`, 400);
      }
      const result = await list.all(signedIn.staff.staffId, desk.filter, desk.sort, EXPORT_CAP);
      if (result.type === "tooMany") return message(words[locale].tooMany(result.total, EXPORT_CAP), 400);
      if (result.type !== "ok") return message(deskWords[locale].notYourArea, 403);
      const { rows } = result;
      const columns = columnsOf(locale);
      const date = localDateOf(context.clock(), timeZone);
      const body = kind === "xlsx" ? await workbook(rows, columns, words[locale].sheet, timeZone) : csv(rows, columns, timeZone);
      return {
        status: 200,
        headers: {
          "Content-Type": kind === "xlsx" ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv; charset=utf-8",
          "Content-Disposition": attachment(`cases-${date}.${kind}`, `${words[locale].fileStem}-${date}.${kind}`),
          "Cache-Control": "no-store",
          "X-Content-Type-Options": "nosniff",
        },
        body,
      };
    };

  return [
    { method: "GET", path: "/console/export.xlsx", handle: staffPage(context, exporting("xlsx")) },
    { method: "GET", path: "/console/export.csv", handle: staffPage(context, exporting("csv")) },
  ];
}

/** An attachment's name for every browser: plain ASCII, and the page language's name for those that read RFC 6266's `filename*`. */
function attachment(ascii: string, name: string): string {
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

async function workbook(rows: CaseListRow[], columns: Column[], sheetName: string, timeZone: string): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet(sheetName, { views: [{ state: "frozen", ySplit: 1 }] });
  sheet.columns = columns.map((column) => ({
    header: column.header,
    width: column.width,
    // A column is of times when its first row's cell is one (every row's is, or no row is).
    ...(rows[0] && column.value(rows[0]) instanceof Date ? { style: { numFmt: DATE_FORMAT } } : {}),
  }));
  sheet.getRow(1).font = { bold: true };
  // A workbook's dates have no zone: the cell holds the town's wall-clock time, as staff read it.
  const { wallClock } = zoneClock(timeZone);
  for (const row of rows) {
    sheet.addRow(
      columns.map((column) => {
        const value = column.value(row);
        return value instanceof Date ? new Date(wallClock(value.getTime())) : value;
      }),
    );
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** RFC 4180 CSV with a byte-order mark (so spreadsheet programs read UTF-8) and CRLF line ends. */
function csv(rows: CaseListRow[], columns: Column[], timeZone: string): Buffer {
  const lines = [
    columns.map((column) => csvCell(column.header)),
    ...rows.map((row) =>
      columns.map((column) => {
        const value = column.value(row);
        return csvCell(value instanceof Date ? localDateTimeOf(value, timeZone) : value);
      }),
    ),
  ];
  return Buffer.from(`\uFEFF${lines.map((cells) => cells.join(",")).join("\r\n")}\r\n`, "utf8");
}

/**
 * One CSV field. Text a spreadsheet would run as a formula (starting with
 * = + - @, or a tab or carriage return) gets a leading apostrophe; fields
 * with a comma, quote or line break are quoted, quotes doubled.
 */
export function csvCell(text: string): string {
  const guarded = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}
