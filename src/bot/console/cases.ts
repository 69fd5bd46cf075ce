import { CASE_PAGE_SIZES, CASE_SORTS, CASE_STATUSES, type CaseListRow } from "../../domain/reports/case-list.ts";
import { localDateTimeOf } from "../../domain/time/zone.ts";
import { catalogFor } from "../../flows/i18n/catalog.ts";
import type { Locale } from "../../flows/kit/messages.ts";
import type { HttpRequest, HttpResponse, Route } from "../http/route.ts";
import { caseExportRoutes } from "./case-export.ts";
import { consoleCaseList, deskChoices, deskQueryString, deskWords as words, readDeskQuery, type DeskQuery } from "./case-filters.ts";
import { staffPage, type ConsoleContext, type SignedIn } from "./console.ts";
import { html, type Html } from "./html.ts";

/** "YYYY-MM-DD HH:MM" in the town's zone, in a `<time>` element. */
const when = (at: Date, timeZone: string): Html => html`<time datetime="${at.toISOString()}">${localDateTimeOf(at, timeZone)}</time>`;

/**
 * `GET /console/cases`: the case desk. A GET form of filters (so a filtered
 * list is a link to share or bookmark), the matching cases the member covers
 * a page at a time, a pager, and links to export every matching case. It
 * works without its script; `client/cases.ts` only adds live status updates.
 * A query naming something the town does not have gets a 400 page saying
 * what to correct, never an error.
 */
export function caseDeskRoutes(context: ConsoleContext): Route[] {
  const list = consoleCaseList(context);
  const timeZone = context.calendar.settings.timeZone;

  const render = async (request: HttpRequest, signedIn: SignedIn): Promise<HttpResponse> => {
    const { locale } = signedIn;
    const text = words[locale];
    const options = await deskChoices(context);
    const desk = readDeskQuery(request.query, options.choices);
    const form = filterForm(desk, options, locale);
    const page = (main: Html, status = 200) =>
      context.shell.render({
        request,
        locale,
        audience: { type: "staff", staff: signedIn.staff, csrfToken: signedIn.csrfToken },
        page: "cases",
        title: text.title,
        main,
        status,
        scripts: ["cases"],
        styles: ["cases.css"],
        data: { statuses: catalogFor(locale).report.status },
      });
    if (desk.problems.length > 0) {
      return page(
        html`<div class="error" role="alert">
            <p>${text.problemIntro}</p>
            <ul>
              ${desk.problems.map((problem) => html`<li>${text.problems[problem]}</li>`)}
            </ul>
          </div>
          ${form}`,
        400,
      );
    }
    const result = await list.page(signedIn.staff.staffId, desk.filter, desk.sort, { page: desk.page, pageSize: desk.pageSize });
    if (result.type !== "ok") return page(html`<p class="notice">${text.notYourArea}</p>`);
    const query = deskQueryString(desk);
    const first = (result.page - 1) * result.pageSize + 1;
    const last = first + result.rows.length - 1;
    return page(
      html`${form}
        <p id="live-notice" class="notice" role="status" hidden>
          ${text.live} <a href="cases?${deskQueryString(desk, result.page)}">${text.refresh}</a>
        </p>
        ${result.total === 0
          ? html`<div class="panel empty">
              <p>${text.none}</p>
              <p>${text.noneHint} <a href="cases">${text.reset}</a>.</p>
            </div>`
          : html`<div class="summary">
                <p class="range">${text.range(first, last, result.total)}</p>
                <p class="exports">
                  ${text.exports} <a href="export.xlsx?${query}" download>${text.xlsx}</a> ·
                  <a href="export.csv?${query}" download>${text.csv}</a>
                </p>
              </div>
              ${caseTable(result.rows, locale, timeZone)} ${pager(desk, result.page, result.pages, locale)}`}`,
    );
  };

  return [{ method: "GET", path: "/console/cases", handle: staffPage(context, render) }, ...caseExportRoutes(context)];
}

function filterForm(desk: DeskQuery, options: Awaited<ReturnType<typeof deskChoices>>, locale: Locale): Html {
  const text = words[locale];
  const statusNames = catalogFor(locale).report.status;
  const { filter } = desk;
  const select = (name: string, label: string, chosen: string | undefined, items: { code: string; name: string }[]) =>
    html`<label
      >${label}
      <select name="${name}">
        <option value="">${text.any}</option>
        ${items.map((item) => html`<option value="${item.code}" ${item.code === chosen && html`selected`}>${item.name}</option>`)}
      </select></label
    >`;
  return html`<form class="panel filters" method="get" action="cases" aria-label="${text.filters}">
    <fieldset class="statuses">
      <legend>${text.status}</legend>
      ${CASE_STATUSES.map(
        (status) =>
          html`<label class="check"
            ><input type="checkbox" name="status" value="${status}" ${filter.statuses.includes(status) && html`checked`} /> ${statusNames[
              status
            ]}</label
          >`,
      )}
      <label class="check"
        ><input type="checkbox" name="overdue" value="1" ${filter.overdueOnly && html`checked`} /> ${text.overdueOnly}</label
      >
    </fieldset>
    <div class="fields">
      ${select(
        "district",
        text.district,
        filter.districtCode,
        options.districts.map((district) => ({ code: district.code, name: district.name[locale] })),
      )}
      ${select(
        "committee",
        text.committee,
        filter.roadCommitteeCode,
        options.roadCommittees.map((committee) => ({ code: committee.code, name: committee.name[locale] })),
      )}
      ${select(
        "category",
        text.category,
        filter.categoryCode,
        options.categories.map((category) => ({ code: category.code, name: category.name[locale] })),
      )}
      <label>${text.createdFrom} <input type="date" name="from" value="${filter.createdFrom ?? ""}" /></label>
      <label>${text.createdTo} <input type="date" name="to" value="${filter.createdTo ?? ""}" /></label>
      <label>${text.search} <input type="search" name="q" value="${filter.search ?? ""}" maxlength="100" /></label>
      <label
        >${text.sort}
        <select name="sort">
          ${CASE_SORTS.map((sort) => html`<option value="${sort}" ${sort === desk.sort && html`selected`}>${text.sorts[sort]}</option>`)}
        </select></label
      >
      <label
        >${text.pageSize}
        <select name="size">
          ${CASE_PAGE_SIZES.map((size) => html`<option value="${size}" ${size === desk.pageSize && html`selected`}>${size}</option>`)}
        </select></label
      >
    </div>
    <div class="actions">
      <button type="submit" class="primary">${text.apply}</button>
      <a href="cases">${text.reset}</a>
    </div>
  </form>`;
}

function caseTable(rows: CaseListRow[], locale: Locale, timeZone: string): Html {
  const text = words[locale];
  const statusNames = catalogFor(locale).report.status;
  return html`<div class="table-wrap">
    <table class="cases">
      <thead>
        <tr>
          <th scope="col">${text.reference}</th>
          <th scope="col">${text.status}</th>
          <th scope="col">${text.category}</th>
          <th scope="col">${text.place}</th>
          <th scope="col">${text.district}</th>
          <th scope="col">${text.committee}</th>
          <th scope="col">${text.created}</th>
          <th scope="col">${text.updated}</th>
          <th scope="col">${text.claimedBy}</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr data-reference="${row.reference}">
              <th scope="row"><a href="case?ref=${encodeURIComponent(row.reference)}">${row.reference}</a></th>
              <td data-label="${text.status}">
                <span class="badges"
                  ><span class="status status-${row.status}" data-status="${row.status}">${statusNames[row.status]}</span> ${row.overdue &&
                  html`<span class="overdue">${text.overdue}</span>`}</span
                >
              </td>
              <td data-label="${text.category}">${row.category[locale]}</td>
              <td data-label="${text.place}">${row.place[locale]}</td>
              <td data-label="${text.district}">${row.district?.[locale] ?? "—"}</td>
              <td data-label="${text.committee}">${row.roadCommittee?.[locale] ?? "—"}</td>
              <td data-label="${text.created}">${when(row.createdAt, timeZone)}</td>
              <td data-label="${text.updated}">${when(row.updatedAt, timeZone)}</td>
              <td data-label="${text.claimedBy}">${row.claimedBy ?? "—"}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function pager(desk: DeskQuery, page: number, pages: number, locale: Locale): Html {
  const text = words[locale];
  if (pages <= 1) return html``;
  return html`<nav class="pager" aria-label="${text.pages}">
    ${page > 1 ? html`<a href="cases?${deskQueryString(desk, page - 1)}" rel="prev">${text.previous}</a>` : ""}
    <span>${text.pageOf(page, pages)}</span>
    ${page < pages ? html`<a href="cases?${deskQueryString(desk, page + 1)}" rel="next">${text.next}</a>` : ""}
  </nav>`;
}
