import type { ReportRoute } from "../../domain/reports/service.ts";
import type { StaffCaseView } from "../../domain/reports/reports.ts";
import type { CaseCommand } from "../../domain/staff/desk.ts";
import { catalogFor, type Catalog } from "../../flows/i18n/catalog.ts";
import type { Locale } from "../../flows/kit/messages.ts";
import { townTime } from "../../flows/report/view.ts";
import { actionsFor, type CaseAction } from "../../flows/staff/case-actions.ts";
import { refusalText, validNote } from "../../flows/staff/common.ts";
import type { HttpRequest, HttpResponse } from "../http/route.ts";
import type { MountedRoute } from "../http/server.ts";
import type { PutResult } from "../media/store.ts";
import { staffPage, type ConsoleContext, type SignedIn } from "./console.ts";
import { readForm } from "./form.ts";
import { html, type Html } from "./html.ts";
import { catalog } from "./i18n.ts";
import { CSRF_FIELD } from "./routes.ts";

/** What a case's page can do besides the chat's buttons: hand the case to another committee. */
type PageAction = CaseAction | "reassign";
const PAGE_ACTIONS: readonly PageAction[] = ["claim", "progress", "resolve", "reject", "reassign"];
const REJECT_REASONS = ["NOT_OUR_RESPONSIBILITY", "DUPLICATE", "INVALID"] as const;
const MEDIA_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Room for the form's other fields and the multipart framing around one photo. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

const words = catalog(
  {
    title: (reference: string) => `案件 ${reference}`,
    notFoundTitle: "找不到这个案件",
    notFound: "没有这个编号的案件。请检查编号，或回到案件列表。",
    notYoursTitle: "这个案件不在您的辖区",
    notYours: "您负责的片区或路段不包括这个案件，因此不能查看或处理它。",
    backToList: "回到案件列表",
    status: "状态",
    category: "类别",
    submittedAt: "提交时间",
    clause: "公约条款",
    description: "描述（居民原文）",
    place: "地点",
    coordinates: "坐标",
    onMap: "在网格地图上查看",
    handledBy: "承办单位",
    unrouted: "未分派",
    photos: "照片",
    photo: (n: number, of: number) => `照片 ${n}/${of}`,
    noPhotos: "没有照片",
    shop: "商户",
    supporters: "关注的居民",
    contact: "举报人联系方式",
    noContact: "举报人未同意工作人员联系。",
    unnamed: "（未留姓名）",
    openTelegram: "在 Telegram 中联系",
    rating: "居民评价",
    stars: (n: number) => `${n} 星（满分 5 星）`,
    confirmedFixed: "居民确认已解决",
    timeline: "办理记录",
    when: "时间",
    what: "事项",
    who: "经办",
    note: "备注",
    movedFromTo: (from: string, to: string) => `从${from}转交${to}`,
    resolutionPhoto: "处理照片",
    actions: "处理",
    noActions: "案件已结束，不能再处理。",
    progressNote: "进展说明（可不填）",
    resolveNote: "处理结果（必填，5–1000 字，居民会看到）",
    resolvePhoto: (megabytes: string) => `处理后照片（可不选，JPEG/PNG/WebP/GIF，最大 ${megabytes} MB）`,
    rejectReason: "不受理原因",
    duplicateOf: "原案件编号（重复举报时必填）",
    rejectNote: "说明（必填，5–1000 字，居民会看到）",
    reassign: "转交其他单位",
    reassignTo: "转交给",
    districts: "片区居委会",
    roadCommittees: "路管会",
    reassignNote: "转交原因（必填，5–1000 字，居民会看到）",
    reassignButton: "转交",
    done: {
      claim: "已认领。",
      progress: "已标记为处理中。",
      resolve: "已标记为已解决，举报人会收到通知。",
      reject: "已标记为不受理，举报人会收到通知。",
      reassign: "已转交，新的承办单位的工作群会收到告警。",
    } satisfies Record<PageAction, string>,
    noteInvalid: "请填写 5–1000 字的说明。",
    photoRefused: "照片未能保存：只接受不超过大小上限的 JPEG、PNG、WebP 或 GIF 图片。案件没有改动。",
    unknownAction: "无法识别这个操作，案件没有改动。",
    wrongState: "案件当前的状态不能进行这个操作（可能已有同事处理过），案件没有改动。下面是最新状态。",
    changed: "这个案件刚刚有了变化。",
    reload: "重新载入",
  },
  {
    title: (reference) => `Case ${reference}`,
    notFoundTitle: "Case not found",
    notFound: "There is no case with this reference. Please check it, or go back to the case list.",
    notYoursTitle: "This case is outside your area",
    notYours: "The districts and road committees you cover do not include this case, so you cannot see or handle it.",
    backToList: "Back to the case list",
    status: "Status",
    category: "Category",
    submittedAt: "Submitted",
    clause: "Compact clause",
    description: "Description (as the resident wrote it)",
    place: "Place",
    coordinates: "Coordinates",
    onMap: "Show on the grid map",
    handledBy: "Handled by",
    unrouted: "not routed",
    photos: "Photos",
    photo: (n, of) => `Photo ${n} of ${of}`,
    noPhotos: "No photos",
    shop: "Shop",
    supporters: "Residents following",
    contact: "Reporter's contact",
    noContact: "The reporter did not agree to be contacted by staff.",
    unnamed: "(no name given)",
    openTelegram: "Contact on Telegram",
    rating: "Resident's rating",
    stars: (n) => `${n} of 5 stars`,
    confirmedFixed: "The resident confirmed it is fixed",
    timeline: "History",
    when: "When",
    what: "What",
    who: "By",
    note: "Note",
    movedFromTo: (from, to) => `Moved from ${from} to ${to}`,
    resolutionPhoto: "Photo of the work",
    actions: "Handle",
    noActions: "The case is closed and cannot be changed.",
    progressNote: "Progress note (optional)",
    resolveNote: "What was done (required, 5–1000 characters; the resident sees it)",
    resolvePhoto: (megabytes) => `Photo of the result (optional; JPEG/PNG/WebP/GIF, at most ${megabytes} MB)`,
    rejectReason: "Reason",
    duplicateOf: "Reference of the original (for a duplicate)",
    rejectNote: "Explanation (required, 5–1000 characters; the resident sees it)",
    reassign: "Pass to another committee",
    reassignTo: "Pass to",
    districts: "District committees",
    roadCommittees: "Road committees",
    reassignNote: "Why (required, 5–1000 characters; the resident sees it)",
    reassignButton: "Pass on",
    done: {
      claim: "Claimed.",
      progress: "Marked as in progress.",
      resolve: "Marked as resolved; the reporter will be told.",
      reject: "Rejected; the reporter will be told.",
      reassign: "Passed on; the new committee's groups will be alerted.",
    },
    noteInvalid: "Please write a note of 5 to 1000 characters.",
    photoRefused:
      "The photo was not kept: only JPEG, PNG, WebP or GIF images within the size limit are accepted. The case was not changed.",
    unknownAction: "That action is not known; the case was not changed.",
    wrongState:
      "The case's status does not allow that (a colleague may have acted on it first); nothing was changed. Its current state is shown below.",
    changed: "This case has just changed.",
    reload: "Reload",
  },
);

/** Why an action did not happen, as the page's notice names it in the redirect. */
type Refusal = "badTransition" | "conflict" | "noteRequired" | "unknownTarget" | "photo" | "action";

/**
 * The case page of the staff console and its actions, for staff covering the
 * case (admins: every case), read and changed only through the staff desk as
 * the chat's /case and buttons are:
 *
 * - `GET /console/case?ref=` the case as /case shows it in a private chat;
 *   an unknown reference is a 404 page, a case outside the member's area a
 *   403 page that tells nothing of it.
 * - `POST /console/case?ref=` a plain form (field `action`: claim, progress,
 *   resolve, reject, reassign) with the CSRF field; the resolve form is
 *   multipart so it can carry a photo, kept by the media store under its
 *   limits. Answers 303 back to the page with `done=` or `refused=`.
 * - `GET /console/case/photo?ref=&id=` one of the case's photos (the
 *   resident's or a resolution's), only to staff who may see the case.
 */
export function caseRoutes(context: ConsoleContext): MountedRoute[] {
  const { services, media } = context;
  const desk = services.desk;
  const who = (signedIn: SignedIn) => ({ channel: signedIn.staff.channel, userId: signedIn.staff.userId });

  const refusalPage = (request: HttpRequest, signedIn: SignedIn, type: "notFound" | "notYourArea"): HttpResponse => {
    const text = words[signedIn.locale];
    const other = words[signedIn.locale === "zh" ? "en" : "zh"];
    const [title, body, otherBody] =
      type === "notFound" ? [text.notFoundTitle, text.notFound, other.notFound] : [text.notYoursTitle, text.notYours, other.notYours];
    return context.shell.render({
      request,
      locale: signedIn.locale,
      audience: { type: "staff", staff: signedIn.staff, csrfToken: signedIn.csrfToken },
      page: "case",
      title,
      main: html`<p>${body}</p>
        <p lang="${signedIn.locale === "zh" ? "en" : "zh-CN"}" class="muted">${otherBody}</p>
        <p><a href="cases">${text.backToList}</a></p>`,
      status: type === "notFound" ? 404 : 403,
    });
  };

  const view = staffPage(context, async (request, signedIn) => {
    const reference = request.query.get("ref") ?? "";
    const found = await desk.caseDetail(who(signedIn), reference);
    if (found.type === "notFound" || found.type === "notStaff") return refusalPage(request, signedIn, "notFound");
    if (found.type === "notYourArea") return refusalPage(request, signedIn, "notYourArea");
    const { locale } = signedIn;
    const t = catalogFor(locale);
    const notice = noticeOf(request, t, locale, found.view.reference);
    return context.shell.render({
      request,
      locale,
      audience: { type: "staff", staff: signedIn.staff, csrfToken: signedIn.csrfToken },
      page: "case",
      title: words[locale].title(found.view.reference),
      main: casePage(found.view, { locale, t, notice, csrfToken: signedIn.csrfToken, timeZone: services.timeZone, context }),
      scripts: ["case"],
      styles: ["case.css"],
      data: { reference: found.view.reference },
    });
  });

  const act = staffPage(context, async (request, signedIn) => {
    const reference = request.query.get("ref") ?? "";
    const found = await desk.caseDetail(who(signedIn), reference);
    if (found.type === "notFound" || found.type === "notStaff") return refusalPage(request, signedIn, "notFound");
    if (found.type === "notYourArea") return refusalPage(request, signedIn, "notYourArea");
    const ref = found.view.reference;
    const back = (outcome: { done: PageAction } | { refused: Refusal }) => {
      const query = new URLSearchParams({ ref, ...outcome });
      // Relative to /console/case: the page itself, so a PUBLIC_URL path prefix keeps working.
      return { status: 303, headers: { Location: `case?${query.toString()}`, "Cache-Control": "no-store" } };
    };
    const form = readForm(request);
    const action = PAGE_ACTIONS.find((name) => name === form.fields.get("action"));
    if (!action) return back({ refused: "action" });
    const command = await commandOf(action, form);
    if ("refused" in command) return back(command);
    const result = await desk.act(who(signedIn), ref, command);
    if (result.type === "notYourArea" || result.type === "notStaff") return refusalPage(request, signedIn, "notYourArea");
    if (result.type === "notFound") return refusalPage(request, signedIn, "notFound");
    if (result.type !== "ok") return back({ refused: result.type });
    return back({ done: action });
  });

  /** The command a posted form asks for, with its photo kept first; or why it cannot be done. */
  const commandOf = async (action: PageAction, form: ReturnType<typeof readForm>): Promise<CaseCommand | { refused: Refusal }> => {
    const written = form.fields.get("note")?.trim() ?? "";
    const note = validNote(written);
    switch (action) {
      case "claim":
        return { type: "claim" };
      case "progress":
        if (written === "") return { type: "progress" };
        return note ? { type: "progress", note } : { refused: "noteRequired" };
      case "resolve": {
        if (!note) return { refused: "noteRequired" };
        const photo = form.files.get("photo");
        if (!photo || photo.bytes.length === 0) return { type: "resolve", note };
        const kept: PutResult = await media.put(photo.bytes);
        return kept.ok ? { type: "resolve", note, photoId: kept.mediaId } : { refused: "photo" };
      }
      case "reject": {
        const reason = REJECT_REASONS.find((name) => name === form.fields.get("reason"));
        if (!reason) return { refused: "action" };
        if (!note) return { refused: "noteRequired" };
        const duplicateOf = form.fields.get("duplicateOf")?.trim();
        return { type: "reject", reason, note, ...(duplicateOf ? { duplicateOf } : {}) };
      }
      case "reassign": {
        const [kind, code] = (form.fields.get("target") ?? "").split(":");
        if (!code || (kind !== "district" && kind !== "roadCommittee")) return { refused: "unknownTarget" };
        if (!note) return { refused: "noteRequired" };
        return { type: "reassign", target: kind === "district" ? { districtCode: code } : { roadCommitteeCode: code }, note };
      }
    }
  };

  const photo = staffPage(context, async (request, signedIn) => {
    const found = await desk.caseDetail(who(signedIn), request.query.get("ref") ?? "");
    if (found.type === "notFound" || found.type === "notStaff") return refusalPage(request, signedIn, "notFound");
    if (found.type === "notYourArea") return refusalPage(request, signedIn, "notYourArea");
    const id = (request.query.get("id") ?? "").toLowerCase();
    const ofCase = [...found.view.photoIds, ...found.view.timeline.flatMap((entry) => (entry.photoId ? [entry.photoId] : []))];
    const stored = MEDIA_ID.test(id) && ofCase.includes(id) ? await media.read(id) : undefined;
    if (!stored) return refusalPage(request, signedIn, "notFound");
    return {
      status: 200,
      // Private: a shared cache must never hand a case's photo to anyone else.
      headers: { "Content-Type": stored.mimeType, "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff" },
      body: stored.bytes,
    };
  });

  return [
    { method: "GET", path: "/console/case", handle: view },
    { method: "POST", path: "/console/case", handle: act, maxBodyBytes: media.maxBytes + FORM_OVERHEAD_BYTES },
    { method: "GET", path: "/console/case/photo", handle: photo },
  ];
}

/** The notice after an action: what was done, or why nothing was. */
function noticeOf(request: HttpRequest, t: Catalog, locale: Locale, reference: string): Html | undefined {
  const text = words[locale];
  const done = PAGE_ACTIONS.find((name) => name === request.query.get("done"));
  if (done) return html`<p class="notice" role="status">${text.done[done]}</p>`;
  const refused = request.query.get("refused");
  if (!refused) return undefined;
  const message =
    refused === "photo"
      ? text.photoRefused
      : refused === "noteRequired"
        ? text.noteInvalid
        : refused === "badTransition"
          ? text.wrongState
          : refused === "conflict" || refused === "unknownTarget"
            ? (refusalText({ type: refused }, reference, t) ?? text.unknownAction)
            : text.unknownAction;
  return html`<p class="error" role="alert">${message}</p>`;
}

interface PageParts {
  locale: Locale;
  t: Catalog;
  notice: Html | undefined;
  csrfToken: string;
  timeZone: string;
  context: ConsoleContext;
}

function casePage(view: StaffCaseView, parts: PageParts): Html {
  const { locale, t, notice, timeZone } = parts;
  const text = words[locale];
  const ref = encodeURIComponent(view.reference);
  const routeName = (route: ReportRoute | null) => (route ? route.name[locale] : text.unrouted);
  const rating = view.timeline.filter((entry) => entry.type === "RATED").at(-1);
  const confirmed = view.timeline.some((entry) => entry.type === "CONFIRMED_FIXED");
  const contact = view.reporterContact;
  return html`${notice}
    <p class="notice changed" id="case-changed" role="status" hidden>${text.changed} <a href="case?ref=${ref}">${text.reload}</a></p>
    <section class="panel" aria-labelledby="facts">
      <h2 id="facts" class="visually-hidden">${view.reference}</h2>
      <dl class="facts">
        <dt>${text.status}</dt>
        <dd>
          <span class="status status-${view.status}">${t.report.status[view.status]}</span> ${view.rejectReason &&
          html` · ${t.report.rejectReasons[view.rejectReason]}`}
        </dd>
        <dt>${text.category}</dt>
        <dd>${view.category[locale]}</dd>
        <dt>${text.submittedAt}</dt>
        <dd><time datetime="${view.createdAt.toISOString()}">${townTime(view.createdAt, locale, timeZone)}</time></dd>
        <dt>${text.clause}</dt>
        <dd>${view.clause.ref} ${view.clause.text[locale]}</dd>
        <dt>${text.place}</dt>
        <dd>
          ${view.place[locale]}
          ${view.position &&
          html`<br /><span class="muted"
              >${text.coordinates}: ${view.position.latitude.toFixed(6)}, ${view.position.longitude.toFixed(6)}</span
            >`}
          <br /><a href="map?ref=${ref}">${text.onMap}</a>
        </dd>
        <dt>${text.handledBy}</dt>
        <dd>${routeName(view.route)}</dd>
        ${view.shop &&
        html`<dt>${text.shop}</dt>
          <dd>
            ${view.shop[locale]}${view.shopStanding && html` <span class="muted">(${t.compact.standing[view.shopStanding]})</span>`}
          </dd>`}
        <dt>${text.supporters}</dt>
        <dd>${view.supporters}</dd>
        <dt>${text.contact}</dt>
        <dd>
          ${contact
            ? html`${contact.displayName ?? text.unnamed} ·
              ${contact.channel === "telegram"
                ? html`<a href="tg://user?id=${contact.userId}">${text.openTelegram}</a>`
                : contact.channel === "web" || contact.channel === "wecom"
                  ? t.compact.channels[contact.channel]
                  : contact.channel}`
            : html`<span class="muted">${text.noContact}</span>`}
        </dd>
        ${rating &&
        html`<dt>${text.rating}</dt>
          <dd>${text.stars(Number(rating.note))}</dd>`}
        ${confirmed &&
        html`<dt>${text.rating}</dt>
          <dd>${text.confirmedFixed}</dd>`}
      </dl>
      <h2>${text.description}</h2>
      <p class="description">${view.description}</p>
      <h2>${text.photos}</h2>
      ${view.photoIds.length === 0
        ? html`<p class="muted">${text.noPhotos}</p>`
        : html`<ul class="photos">
            ${view.photoIds.map(
              (id, i) =>
                html`<li>
                  <a href="case/photo?ref=${ref}&amp;id=${id}"
                    ><img src="case/photo?ref=${ref}&amp;id=${id}" alt="${text.photo(i + 1, view.photoIds.length)}" loading="lazy"
                  /></a>
                </li>`,
            )}
          </ul>`}
    </section>
    ${actionForms(view, parts)}
    <section class="panel timeline" aria-labelledby="timeline">
      <h2 id="timeline">${text.timeline}</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">${text.when}</th>
              <th scope="col">${text.what}</th>
              <th scope="col">${text.who}</th>
              <th scope="col">${text.note}</th>
            </tr>
          </thead>
          <tbody>
            ${view.timeline.map(
              (entry) =>
                html`<tr>
                  <td><time datetime="${entry.at.toISOString()}">${townTime(entry.at, locale, timeZone)}</time></td>
                  <td>
                    ${entry.status && entry.type === "STATUS_CHANGED" ? t.report.status[entry.status] : t.report.timelineEvent[entry.type]}
                    ${entry.reroute && html`<br />${text.movedFromTo(routeName(entry.reroute.from), routeName(entry.reroute.to))}`}
                  </td>
                  <td>${entry.actorLabel ?? t.report.timelineBy[entry.by]}</td>
                  <td>
                    ${entry.note !== null &&
                    html`<span class="note">${entry.type === "RATED" ? text.stars(Number(entry.note)) : entry.note}</span>`}
                    ${entry.photoId && html`<br /><a href="case/photo?ref=${ref}&amp;id=${entry.photoId}">${text.resolutionPhoto}</a>`}
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>`;
}

function actionForms(view: StaffCaseView, parts: PageParts): Html {
  const { locale, t, csrfToken, context } = parts;
  const text = words[locale];
  const ref = encodeURIComponent(view.reference);
  const actions = actionsFor(view.status);
  const action = `case?ref=${ref}`;
  const csrf = html`<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}" />`;
  const hidden = (name: PageAction) => html`${csrf}<input type="hidden" name="action" value="${name}" />`;
  if (actions.length === 0)
    return html`<section class="panel" aria-labelledby="actions">
      <h2 id="actions">${text.actions}</h2>
      <p class="muted">${text.noActions}</p>
    </section>`;
  const grid = context.services.grid.index.snapshot;
  const megabytes = (context.media.maxBytes / (1024 * 1024)).toFixed(0);
  return html`<section class="panel actions" aria-labelledby="actions">
    <h2 id="actions">${text.actions}</h2>
    ${actions.includes("claim") &&
    html`<form method="post" action="${action}">
      ${hidden("claim")}<button type="submit" class="primary">${t.alerts.actions.claim}</button>
    </form>`}
    ${actions.includes("progress") &&
    html`<form method="post" action="${action}">
      ${hidden("progress")}
      <label for="progress-note">${text.progressNote}</label>
      <textarea id="progress-note" name="note" rows="2" maxlength="1000"></textarea>
      <button type="submit">${t.alerts.actions.progress}</button>
    </form>`}
    ${actions.includes("resolve") &&
    html`<form method="post" action="${action}" enctype="multipart/form-data">
      ${hidden("resolve")}
      <label for="resolve-note">${text.resolveNote}</label>
      <textarea id="resolve-note" name="note" rows="3" minlength="5" maxlength="1000" required></textarea>
      <label for="resolve-photo">${text.resolvePhoto(megabytes)}</label>
      <input id="resolve-photo" name="photo" type="file" accept="image/jpeg,image/png,image/webp,image/gif" />
      <button type="submit" class="primary">${t.alerts.actions.resolve}</button>
    </form>`}
    ${actions.includes("reject") &&
    html`<form method="post" action="${action}">
      ${hidden("reject")}
      <label for="reject-reason">${text.rejectReason}</label>
      <select id="reject-reason" name="reason">
        ${REJECT_REASONS.map((reason) => html`<option value="${reason}">${t.report.rejectReasons[reason]}</option>`)}
      </select>
      <label for="reject-duplicate">${text.duplicateOf}</label>
      <input id="reject-duplicate" name="duplicateOf" type="text" autocomplete="off" />
      <label for="reject-note">${text.rejectNote}</label>
      <textarea id="reject-note" name="note" rows="2" minlength="5" maxlength="1000" required></textarea>
      <button type="submit">${t.alerts.actions.reject}</button>
    </form>`}
    <form method="post" action="${action}">
      ${hidden("reassign")}
      <h3>${text.reassign}</h3>
      <label for="reassign-target">${text.reassignTo}</label>
      <select id="reassign-target" name="target" required>
        <optgroup label="${text.districts}">
          ${grid.districts.map((district) => html`<option value="district:${district.code}">${district.committee.name[locale]}</option>`)}
        </optgroup>
        <optgroup label="${text.roadCommittees}">
          ${grid.roadCommittees.map(
            (committee) => html`<option value="roadCommittee:${committee.code}">${committee.name[locale]}</option>`,
          )}
        </optgroup>
      </select>
      <label for="reassign-note">${text.reassignNote}</label>
      <textarea id="reassign-note" name="note" rows="2" minlength="5" maxlength="1000" required></textarea>
      <button type="submit">${text.reassignButton}</button>
    </form>
  </section>`;
}
