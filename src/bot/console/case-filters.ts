import type { ReportStatus } from "../../generated/prisma/client.ts";
import {
  createCaseList,
  type CaseList,
  CASE_PAGE_SIZES,
  CASE_SORTS,
  CASE_STATUSES,
  type CaseFilter,
  type CasePageSize,
  type CaseSort,
} from "../../domain/reports/case-list.ts";
import { parseLocalDate } from "../../domain/time/zone.ts";
import type { ConsoleContext } from "./console.ts";
import { catalog } from "./i18n.ts";

/** The codes a filter may name: the town's districts, road committees and categories as the town data lists them now. */
export interface FilterChoices {
  districtCodes: readonly string[];
  roadCommitteeCodes: readonly string[];
  categoryCodes: readonly string[];
}

/** A part of the query that could not be read; the page names it in the visitor's language. */
export type FilterProblem = "status" | "district" | "committee" | "category" | "date" | "dateOrder" | "sort" | "size" | "page" | "search";

/** The desk's query as read: the filter, order and page, and what was wrong with it (nothing, usually). */
export interface DeskQuery {
  filter: CaseFilter;
  sort: CaseSort;
  page: number;
  pageSize: CasePageSize;
  problems: FilterProblem[];
}

/** Longest search text read; a reference or a road's name is far shorter. */
const MAX_SEARCH = 100;

/**
 * Reads the desk's query string, shared by the page and its exports so a link
 * carries one meaning everywhere: `status` (repeatable), `district`,
 * `committee`, `category`, `overdue=1`, `from` and `to` (local dates), `q`,
 * `sort`, `size` and `page`. Empty fields mean "any". A value that names
 * nothing the town has is a problem, not an empty list, so a mistyped link
 * says so instead of silently showing nothing.
 */
export function readDeskQuery(query: URLSearchParams, choices: FilterChoices): DeskQuery {
  const problems: FilterProblem[] = [];
  const text = (name: string) => query.get(name)?.trim() || undefined;
  const oneOf = <T extends string>(name: string, allowed: readonly T[], problem: FilterProblem): T | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(problem);
    return undefined;
  };

  const statuses: ReportStatus[] = [];
  for (const value of query.getAll("status")) {
    if ((CASE_STATUSES as readonly string[]).includes(value)) statuses.push(value as ReportStatus);
    else if (value !== "") problems.push("status");
  }
  const date = (name: string) => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (parseLocalDate(value) !== undefined) return value;
    problems.push("date");
    return undefined;
  };
  const createdFrom = date("from");
  const createdTo = date("to");
  if (createdFrom && createdTo && createdFrom > createdTo) problems.push("dateOrder");
  const search = text("q");
  // Control characters are in no reference or road name, and PostgreSQL refuses a NUL in text.
  const searchable = search !== undefined && search.length <= MAX_SEARCH && !/\p{Cc}/u.test(search);
  if (search !== undefined && !searchable) problems.push("search");

  const pageText = text("page");
  const page = pageText === undefined ? 1 : /^[1-9]\d{0,6}$/.test(pageText) ? Number(pageText) : undefined;
  if (page === undefined) problems.push("page");
  const size = oneOf("size", CASE_PAGE_SIZES.map(String), "size");

  return {
    filter: {
      statuses: [...new Set(statuses)],
      districtCode: oneOf("district", choices.districtCodes, "district"),
      roadCommitteeCode: oneOf("committee", choices.roadCommitteeCodes, "committee"),
      categoryCode: oneOf("category", choices.categoryCodes, "category"),
      overdueOnly: query.get("overdue") === "1",
      createdFrom,
      createdTo,
      search: searchable ? search : undefined,
    },
    sort: oneOf("sort", CASE_SORTS, "sort") ?? "newest",
    page: page ?? 1,
    pageSize: size === undefined ? CASE_PAGE_SIZES[0] : (Number(size) as CasePageSize),
    problems: [...new Set(problems)],
  };
}

/**
 * The query string of a desk query (without the page unless given), for links
 * that keep the filters: the pager, the exports and the live notice. Defaults
 * are left out so links stay short.
 */
export function deskQueryString(desk: Omit<DeskQuery, "problems" | "page">, page?: number): string {
  const params = new URLSearchParams();
  const { filter } = desk;
  for (const status of filter.statuses) params.append("status", status);
  if (filter.districtCode) params.set("district", filter.districtCode);
  if (filter.roadCommitteeCode) params.set("committee", filter.roadCommitteeCode);
  if (filter.categoryCode) params.set("category", filter.categoryCode);
  if (filter.overdueOnly) params.set("overdue", "1");
  if (filter.createdFrom) params.set("from", filter.createdFrom);
  if (filter.createdTo) params.set("to", filter.createdTo);
  if (filter.search) params.set("q", filter.search);
  if (desk.sort !== "newest") params.set("sort", desk.sort);
  if (desk.pageSize !== CASE_PAGE_SIZES[0]) params.set("size", String(desk.pageSize));
  if (page !== undefined && page > 1) params.set("page", String(page));
  return params.toString();
}

/** The desk's words, which its exports' headers and messages share. */
export const deskWords = catalog(
  {
    title: "案件",
    filters: "筛选",
    status: "状态",
    district: "片区",
    committee: "路管会",
    category: "类别",
    any: "全部",
    overdueOnly: "只看逾期",
    createdFrom: "提交日期从",
    createdTo: "至",
    search: "编号或路名",
    sort: "排序",
    sorts: { newest: "最新提交", oldest: "最早提交", updated: "最近更新", due: "期限最近（逾期在前）", reference: "编号" },
    pageSize: "每页",
    apply: "筛选",
    reset: "清除筛选",
    reference: "编号",
    place: "地点",
    created: "提交时间",
    updated: "最近更新",
    claimedBy: "受理人",
    overdue: "逾期",
    range: (from: number, to: number, total: number) => `第 ${from}–${to} 条，共 ${total} 条`,
    none: "没有符合条件的案件。",
    noneHint: "可以放宽筛选条件，或",
    pages: "分页",
    previous: "上一页",
    next: "下一页",
    pageOf: (page: number, pages: number) => `第 ${page} / ${pages} 页`,
    exports: "导出全部符合条件的案件：",
    xlsx: "Excel（.xlsx）",
    csv: "CSV",
    problemIntro: "筛选条件有误，请修改后再试：",
    problems: {
      status: "状态不在可选范围内。",
      district: "没有这个片区。",
      committee: "没有这个路管会。",
      category: "没有这个类别。",
      date: "日期请按 年-月-日 填写，例如 2026-12-08。",
      dateOrder: "开始日期晚于结束日期。",
      sort: "没有这种排序方式。",
      size: "每页条数只能是 25、50 或 100。",
      page: "页码应为正整数。",
      search: "搜索内容太长（最多 100 个字）或含有无法搜索的字符。",
    } satisfies Record<FilterProblem, string>,
    notYourArea: "您的工作人员身份不负责任何片区的案件，因此这里没有可显示的案件。",
    live: "有新的或有变化的案件。",
    refresh: "刷新列表",
  },
  {
    title: "Cases",
    filters: "Filters",
    status: "Status",
    district: "District",
    committee: "Road committee",
    category: "Category",
    any: "Any",
    overdueOnly: "Overdue only",
    createdFrom: "Submitted from",
    createdTo: "to",
    search: "Reference or road",
    sort: "Sort by",
    sorts: { newest: "Newest", oldest: "Oldest", updated: "Recently updated", due: "Due soonest (overdue first)", reference: "Reference" },
    pageSize: "Per page",
    apply: "Apply filters",
    reset: "Clear filters",
    reference: "Reference",
    place: "Place",
    created: "Submitted",
    updated: "Last update",
    claimedBy: "Claimed by",
    overdue: "Overdue",
    range: (from: number, to: number, total: number) => `${from}–${to} of ${total}`,
    none: "No cases match these filters.",
    noneHint: "Try wider filters, or",
    pages: "Pages",
    previous: "Previous",
    next: "Next",
    pageOf: (page: number, pages: number) => `Page ${page} of ${pages}`,
    exports: "Export every matching case:",
    xlsx: "Excel (.xlsx)",
    csv: "CSV",
    problemIntro: "Some filters could not be used. Please correct them and try again:",
    problems: {
      status: "That status is not one of the choices.",
      district: "There is no such district.",
      committee: "There is no such road committee.",
      category: "There is no such category.",
      date: "Please write dates as year-month-day, e.g. 2026-12-08.",
      dateOrder: "The start date is after the end date.",
      sort: "There is no such order.",
      size: "Rows per page can be 25, 50 or 100.",
      page: "The page number should be a whole number from 1.",
      search: "The search text is too long (at most 100 characters) or holds characters that cannot be searched for.",
    } satisfies Record<FilterProblem, string>,
    notYourArea: "Your staff role covers no district's cases, so there are no cases to show here.",
    live: "There are new or changed cases.",
    refresh: "Refresh the list",
  },
);

/** The districts, road committees and categories a query may name, with their names for the form. */
export async function deskChoices(context: ConsoleContext) {
  const snapshot = context.services.grid.index.snapshot;
  const categories = await context.services.reports.categories();
  const choices: FilterChoices = {
    districtCodes: snapshot.districts.map((district) => district.code),
    roadCommitteeCodes: snapshot.roadCommittees.map((committee) => committee.code),
    categoryCodes: categories.map((category) => category.code),
  };
  return { choices, districts: snapshot.districts, roadCommittees: snapshot.roadCommittees, categories };
}

/** The case list the desk and its exports read, on the console's database, calendar and clock. */
export function consoleCaseList(context: ConsoleContext): CaseList {
  return createCaseList({
    sql: context.db.sql,
    townCode: context.townCode,
    registry: context.services.staff,
    calendar: context.calendar,
    clock: context.clock,
  });
}
