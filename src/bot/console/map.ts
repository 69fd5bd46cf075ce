import { z } from "zod";
import { TILE_SUBDOMAINS, type MapTiles } from "../../config.ts";
import type { Bilingual, DistrictInfo, GridIndex, LookupResult, PlaceCandidate } from "../../domain/grid/index.ts";
import { OPEN_STATUSES } from "../../domain/reports/context.ts";
import type { CasePin } from "../../domain/reports/reports.ts";
import type { ReportStatusName } from "../../domain/reports/service.ts";
import { catalogFor } from "../../flows/i18n/catalog.ts";
import type { Locale } from "../../flows/kit/messages.ts";
import { formatAnswer } from "../../flows/lookup/answer.ts";
import { MAX_QUERY_LENGTH } from "../../flows/lookup/lookup-flow.ts";
import type { HttpRequest, HttpResponse, Route } from "../http/route.ts";
import { jsonError } from "../http/server.ts";
import { staffPage, type ConsoleContext } from "./console.ts";
import { html, type Html } from "./html.ts";
import { catalog, requestLocale } from "./i18n.ts";

/** How long closed cases stay on the staff map: long enough to see what was just done, short enough to keep it readable. */
const CLOSED_CASES_DAYS = 30;
/** Pins the staff map draws at most; clustering keeps this many readable. */
const MAX_PINS = 5000;
const STATUSES: ReportStatusName[] = ["SUBMITTED", "ACKNOWLEDGED", "IN_PROGRESS", "RESOLVED", "REJECTED"];
/**
 * Lookup answers change only with an import of the town's data, so browsers and proxies may keep them a few
 * minutes (what keeps a busy public map cheap); the language comes from the query, the cookie or the browser.
 */
const ANSWER_CACHING = { "Cache-Control": "public, max-age=300", Vary: "Accept-Language, Cookie" };
// leaflet.markercluster 2 ships its whole style in MarkerCluster.Default.css (there is no MarkerCluster.css any more).
const MAP_STYLES = ["leaflet.css", "MarkerCluster.Default.css", "map.css"] as const;

const words = catalog(
  {
    staffTitle: "网格地图",
    publicTitle: "网格地图 · 谁管我这片",
    mapLabel: "片区边界与案件位置地图",
    publicMapLabel: "片区边界地图，点击地图上的位置可查询所属片区",
    districts: "片区",
    district: "片区",
    committee: "片区治理委员会",
    roadCommittees: "路管会",
    openCases: "未办结案件",
    phone: "办公电话",
    hours: "办公时间",
    noBoundary: "（未绘制边界）",
    unbounded: (names: string) => `以下片区在数据中没有边界，未在地图上绘制：${names}。`,
    statusFilter: "按状态显示",
    statuses: { SUBMITTED: "已提交", ACKNOWLEDGED: "已受理", IN_PROGRESS: "处理中", RESOLVED: "已解决", REJECTED: "未受理" },
    openCase: "查看案件",
    category: "类别",
    status: "状态",
    pinsNote: (days: number) => `地图显示您负责范围内的未办结案件和最近 ${days} 天内办结的案件；没有精确位置的案件不在地图上显示。`,
    noArea: "您的角色不负责处理案件，地图上不显示案件。",
    notPinned: (reference: string) => `案件 ${reference} 没有精确位置，或不在您负责的范围内，无法在地图上显示。`,
    noScript: "地图需要启用 JavaScript；下面的片区列表无需脚本即可使用。",
    loading: "正在加载案件……",
    loadFailed: "案件加载失败，请刷新页面重试。",
    searchLabel: "小区、居民区或道路名称（可加门牌号）",
    search: "查询",
    clickHint: "也可以点击地图上的位置查询所属片区。",
    answer: "查询结果",
    badQuery: "请输入小区名或路名。",
    badPoint: "位置无效：请提供有效的纬度（lat）和经度（lng）。",
    tooLong: `输入太长了，请只输入小区名或路名（${MAX_QUERY_LENGTH} 字以内）。`,
    unknownPlace: "这个选项已经失效，请重新查询。",
  },
  {
    staffTitle: "Grid map",
    publicTitle: "Grid map · who runs my district",
    mapLabel: "Map of district boundaries and case locations",
    publicMapLabel: "Map of district boundaries; click a place on the map to find its district",
    districts: "Districts",
    district: "District",
    committee: "District committee",
    roadCommittees: "Road committees",
    openCases: "Open cases",
    phone: "Office phone",
    hours: "Office hours",
    noBoundary: "(no boundary drawn)",
    unbounded: (names: string) => `These districts have no boundary in the data and are not drawn on the map: ${names}.`,
    statusFilter: "Show by status",
    statuses: {
      SUBMITTED: "Submitted",
      ACKNOWLEDGED: "Acknowledged",
      IN_PROGRESS: "In progress",
      RESOLVED: "Resolved",
      REJECTED: "Rejected",
    },
    openCase: "Open case",
    category: "Category",
    status: "Status",
    pinsNote: (days: number) =>
      `The map shows the open cases of your area and those closed in the last ${days} days; cases without an exact position are not on the map.`,
    noArea: "Your role handles no cases, so the map shows none.",
    notPinned: (reference: string) => `Case ${reference} has no exact position or is outside your area, so it is not on the map.`,
    noScript: "The map needs JavaScript; the list of districts below works without it.",
    loading: "Loading cases…",
    loadFailed: "The cases could not be loaded. Please reload the page.",
    searchLabel: "Neighbourhood, estate or road name (a house number may follow)",
    search: "Look up",
    clickHint: "You can also click a place on the map to find its district.",
    answer: "Answer",
    badQuery: "Please type a neighbourhood or road name.",
    badPoint: "Not a valid position: give a latitude (lat) and longitude (lng).",
    tooLong: `That is too long: please type only a neighbourhood or road name (at most ${MAX_QUERY_LENGTH} characters).`,
    unknownPlace: "That choice is no longer available; please search again.",
  },
);

/** A district as both maps draw it and list it (the page script reads the same shape). */
export interface MapDistrict {
  code: string;
  name: Bilingual;
  committee: Bilingual;
  officePhone: string;
  officeHours: Bilingual;
  roadCommittees: { name: Bilingual; phone: string }[];
  boundary: [number, number][][] | null;
}

/** A pin as the staff map's JSON carries it: no description, no reporter. */
export interface PinJson {
  ref: string;
  category: Bilingual;
  status: ReportStatusName;
  lat: number;
  lng: number;
}

const pointSchema = z.object({
  lat: z.coerce.number().finite().min(-90).max(90),
  lng: z.coerce.number().finite().min(-180).max(180),
});

/**
 * The grid map. Staff: `GET /console/map` (district boundaries, committees,
 * and the pins of the cases their grant covers, from `GET /console/map/cases`;
 * `?ref=` opens one case's pin). Anyone: `GET /map` (the boundaries, a search
 * box and click-on-map answering "who runs my district"), with
 * `GET /map/lookup?q=` (or `?place=` for a candidate) and `GET /map/at?lat=&lng=`
 * answering as the chat's lookup does, word for word, since they call the same
 * grid index and the same answer text. Both pages list the districts in plain
 * HTML, so they say something without script; the maps draw with no base map
 * unless one is configured, so no request leaves this server by default.
 */
export function mapRoutes(context: ConsoleContext): Route[] {
  const { services, shell, access } = context;
  const index = (): GridIndex => services.grid.index;
  const tiles = context.map.tiles;
  const imageOrigins = tiles ? tileOrigins(tiles) : [];

  const casesFor = async (staff: { channel: string; userId: string }) =>
    services.desk.mapCases(staff, { closedSince: new Date(context.clock().getTime() - CLOSED_CASES_DAYS * 86_400_000), limit: MAX_PINS });

  const staffMap: Route = {
    method: "GET",
    path: "/console/map",
    handle: staffPage(context, async (request, signedIn) => {
      const { locale } = signedIn;
      const text = words[locale];
      const found = await casesFor(signedIn.staff);
      const cases = found.type === "ok" ? found.cases : [];
      const districts = mapDistricts(index());
      const ref = request.query.get("ref")?.trim().toUpperCase() || undefined;
      const pinned = ref === undefined || cases.some((pin) => pin.reference === ref && pin.position !== null);
      const main = html`
        <p class="muted">${found.type === "ok" ? text.pinsNote(CLOSED_CASES_DAYS) : text.noArea}</p>
        ${ref && !pinned && html`<p class="notice">${text.notPinned(ref)}</p>`}
        <div class="map-layout">
          <section class="map-area" aria-label="${text.mapLabel}">
            <fieldset class="map-filter" id="map-filter" hidden>
              <legend>${text.statusFilter}</legend>
              ${STATUSES.map(
                (status) =>
                  html`<label class="map-filter-status"
                    ><input type="checkbox" name="status" value="${status}" checked /><span class="status status-${status}"
                      >${text.statuses[status]}</span
                    ></label
                  >`,
              )}
            </fieldset>
            <p class="muted map-status" id="map-status" role="status">${text.noScript}</p>
            <div id="map" class="map-canvas"></div>
          </section>
          <section class="map-side panel">
            <h2>${text.districts}</h2>
            ${districtTable(districts, locale, openCounts(cases))}
          </section>
        </div>
      `;
      return shell.render({
        request,
        locale,
        audience: { type: "staff", staff: signedIn.staff, csrfToken: signedIn.csrfToken },
        page: "map",
        title: text.staffTitle,
        main,
        scripts: ["map"],
        styles: MAP_STYLES,
        imageOrigins,
        data: {
          mode: "staff",
          locale,
          tiles: tiles ?? null,
          districts,
          casesUrl: "map/cases",
          focus: ref ?? null,
          words: {
            mapLabel: text.mapLabel,
            statuses: text.statuses,
            openCase: text.openCase,
            category: text.category,
            status: text.status,
            roadCommittees: text.roadCommittees,
            phone: text.phone,
            hours: text.hours,
            loading: text.loading,
            loadFailed: text.loadFailed,
          },
        },
      });
    }),
  };

  const staffCases: Route = {
    method: "GET",
    path: "/console/map/cases",
    async handle(request) {
      const check = await access.requireStaffSession(request);
      if (!check.ok) return check.response;
      const found = await casesFor(check.staff);
      const pins: PinJson[] =
        found.type === "ok"
          ? found.cases.flatMap((pin) =>
              pin.position
                ? [
                    {
                      ref: pin.reference,
                      category: pin.category,
                      status: pin.status,
                      lat: pin.position.latitude,
                      lng: pin.position.longitude,
                    },
                  ]
                : [],
            )
          : [];
      return json(200, { cases: pins }, { "Cache-Control": "no-store" });
    },
  };

  const publicMap: Route = {
    method: "GET",
    path: "/map",
    async handle(request) {
      const locale = requestLocale(request);
      const text = words[locale];
      const asked = request.query.has("q") || request.query.has("place");
      const answer = asked ? lookupAnswer(index(), request, locale) : undefined;
      const districts = mapDistricts(index());
      const main = html`
        <form class="map-search panel" method="get" action="map" id="map-search">
          <label
            >${text.searchLabel}
            <input type="search" name="q" id="map-q" value="${request.query.get("q") ?? ""}" maxlength="${MAX_QUERY_LENGTH}" required
          /></label>
          <button type="submit" class="primary">${text.search}</button>
        </form>
        <section class="map-answer panel" id="map-answer" aria-live="polite" aria-label="${text.answer}" ${answer ? "" : html`hidden`}>
          ${answer?.html}
        </section>
        <div class="map-layout">
          <section class="map-area" aria-label="${text.publicMapLabel}">
            <p class="muted map-status" id="map-status" role="status">${text.noScript}</p>
            <div id="map" class="map-canvas"></div>
          </section>
          <section class="map-side panel">
            <h2>${text.districts}</h2>
            ${districtTable(districts, locale, undefined)}
          </section>
        </div>
      `;
      return shell.render({
        request,
        locale,
        audience: { type: "public" },
        page: "public-map",
        title: text.publicTitle,
        main,
        scripts: ["map"],
        styles: MAP_STYLES,
        imageOrigins,
        status: answer?.status ?? 200,
        data: {
          mode: "public",
          locale,
          tiles: tiles ?? null,
          districts,
          lookupUrl: "map/lookup",
          atUrl: "map/at",
          focus: answer?.body.districtCode ?? null,
          words: {
            mapLabel: text.publicMapLabel,
            roadCommittees: text.roadCommittees,
            phone: text.phone,
            hours: text.hours,
            clickHint: text.clickHint,
            loadFailed: text.loadFailed,
          },
        },
      });
    },
  };

  const lookup: Route = {
    method: "GET",
    path: "/map/lookup",
    async handle(request) {
      const answer = lookupAnswer(index(), request, requestLocale(request));
      return answer.status === 200 ? json(200, answer.body, ANSWER_CACHING) : answer.error;
    },
  };

  const at: Route = {
    method: "GET",
    path: "/map/at",
    async handle(request) {
      const point = pointSchema.safeParse({ lat: request.query.get("lat") ?? undefined, lng: request.query.get("lng") ?? undefined });
      if (!point.success) return jsonError(400, "bad_position", { zh: words.zh.badPoint, en: words.en.badPoint });
      const locale = requestLocale(request);
      const answer = presentResult(index(), index().locate(point.data.lat, point.data.lng), locale, "");
      return answer.status === 200 ? json(200, answer.body, ANSWER_CACHING) : answer.error;
    },
  };

  return [staffMap, staffCases, publicMap, lookup, at];
}

/** What a lookup answers: the chat's text and its markup for the page, or why the question could not be asked. */
type Answer =
  | { status: 200; body: AnswerJson; html: Html }
  | { status: 400; body: { result: "badRequest"; districtCode?: undefined }; html: Html; error: HttpResponse };

interface AnswerJson {
  result: Exclude<LookupResult["type"], "noQuery">;
  /** The district answered, for the map to show it; absent when none was. */
  districtCode?: string;
  /** What the chat says to the same question, in the visitor's language. */
  text: string;
  /** Places to choose from (ask again with `place=<id>`). */
  candidates?: { id: string; label: string }[];
  /** The answer as the page shows it: the same text, phones as tel: links, candidates as links. */
  html: string;
}

/** `q=` (a name, as typed in the chat) or `place=` (a candidate picked from an earlier answer), answered as the chat would. */
function lookupAnswer(index: GridIndex, request: HttpRequest, locale: Locale): Answer {
  const place = request.query.get("place");
  if (place !== null) {
    const resolved = index.resolve(place);
    if (!resolved) return badRequest("unknown_place", "unknownPlace", locale);
    return presentResult(index, resolved, locale, "");
  }
  const query = (request.query.get("q") ?? "").trim();
  if (query.length > MAX_QUERY_LENGTH) return badRequest("query_too_long", "tooLong", locale);
  return presentResult(index, query.length === 0 ? { type: "noQuery" } : index.lookup(query), locale, query);
}

function badRequest(code: string, word: "unknownPlace" | "tooLong" | "badQuery", locale: Locale): Answer {
  return {
    status: 400,
    body: { result: "badRequest" },
    html: html`<p class="error">${words[locale][word]}</p>`,
    error: jsonError(400, code, { zh: words.zh[word], en: words.en[word] }),
  };
}

/** The chat lookup's words for a result (src/flows/lookup), with the phones made into links. */
function presentResult(index: GridIndex, result: LookupResult, locale: Locale, query: string): Answer {
  if (result.type === "noQuery") return badRequest("no_query", "badQuery", locale);
  const t = catalogFor(locale).lookup;
  const town = index.snapshot.town;
  const officeLine = t.townOffice(town.office.name[locale], town.office.phone, town.office.hours[locale]);
  const candidatesOf = (list: PlaceCandidate[]) => list.map((candidate) => ({ id: candidate.id, label: candidate.label[locale] }));
  let lines: string[];
  let candidates: { id: string; label: string }[] | undefined;
  let districtCode: string | undefined;
  let phones = [town.office.phone];
  switch (result.type) {
    case "found": {
      const { answer } = result;
      lines = formatAnswer(answer, catalogFor(locale), locale).split("\n");
      districtCode = answer.district.code;
      phones = [
        answer.district.committee.officePhone,
        ...(answer.neighbourhood ? [answer.neighbourhood.committee.phone] : []),
        ...answer.roadCommittees.map((committee) => committee.phone),
      ];
      break;
    }
    case "ambiguous":
      lines = [t.ambiguous];
      candidates = candidatesOf(result.candidates);
      break;
    case "unknownHouseNumber":
      lines = [t.unknownHouseNumber(result.road[locale], result.houseNumber)];
      candidates = candidatesOf(result.candidates);
      break;
    case "notFound":
      lines = [t.notFound(query), ...(result.suggestions.length > 0 ? [t.suggestions] : [])];
      candidates = candidatesOf(result.suggestions);
      break;
    case "outsideTown":
      lines = [t.outsideTown(town.name[locale])];
      break;
  }
  const footer = result.type === "notFound" || result.type === "outsideTown" ? [officeLine] : [];
  const markup = html`<div class="map-answer-text">
      ${lines.map((line) => (line === "" ? "" : html`<p>${withPhoneLinks(line, phones)}</p>`))}
    </div>
    ${candidates &&
    candidates.length > 0 &&
    html`<ul class="map-candidates">
      ${candidates.map(
        (candidate) =>
          html`<li><a href="map?place=${encodeURIComponent(candidate.id)}" data-place="${candidate.id}">${candidate.label}</a></li>`,
      )}
    </ul>`}
    ${footer.map((line) => html`<p>${withPhoneLinks(line, phones)}</p>`)}`;
  const text = [...lines, ...(candidates ?? []).map((candidate) => `· ${candidate.label}`), ...footer].join("\n");
  return {
    status: 200,
    body: {
      result: result.type,
      ...(districtCode ? { districtCode } : {}),
      text,
      ...(candidates ? { candidates } : {}),
      html: markup.value,
    },
    html: markup,
  };
}

/** A line of the chat's answer with each of the given phone numbers as a tel: link, everything else escaped. */
function withPhoneLinks(line: string, phones: readonly string[]): Html {
  const known = [...new Set(phones.filter((phone) => phone.length > 0))].sort((a, b) => b.length - a.length);
  const parts: Html[] = [];
  let rest = line;
  while (rest.length > 0) {
    const hits = known.map((phone) => ({ phone, at: rest.indexOf(phone) })).filter((hit) => hit.at >= 0);
    const first = hits.sort((a, b) => a.at - b.at)[0];
    if (!first) {
      parts.push(html`${rest}`);
      break;
    }
    parts.push(html`${rest.slice(0, first.at)}${phoneLink(first.phone)}`);
    rest = rest.slice(first.at + first.phone.length);
  }
  return html`${parts}`;
}

function phoneLink(phone: string): Html {
  return html`<a href="tel:${phone.replace(/[^\d+]/g, "")}">${phone}</a>`;
}

/** The town's districts as the maps draw them, each with the road committees of the streets in it. */
function mapDistricts(index: GridIndex): MapDistrict[] {
  const { snapshot } = index;
  const committees = new Map(snapshot.roadCommittees.map((committee) => [committee.code, committee]));
  return snapshot.districts.map((district: DistrictInfo) => {
    const codes = new Set(
      snapshot.roads
        .filter((road) => road.segments.some((segment) => segment.districtCode === district.code))
        .map((road) => road.roadCommitteeCode),
    );
    return {
      code: district.code,
      name: district.name,
      committee: district.committee.name,
      officePhone: district.committee.officePhone,
      officeHours: district.committee.officeHours,
      roadCommittees: [...codes].flatMap((code) => {
        const committee = committees.get(code);
        return committee ? [{ name: committee.name, phone: committee.phone }] : [];
      }),
      boundary: district.boundary,
    };
  });
}

/** Open cases per district code. */
function openCounts(cases: readonly CasePin[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const pin of cases) {
    if (pin.districtCode === null || !OPEN_STATUSES.includes(pin.status)) continue;
    counts.set(pin.districtCode, (counts.get(pin.districtCode) ?? 0) + 1);
  }
  return counts;
}

/** The districts as a table: what the page says without script and to screen readers; the links focus a district on the map. */
function districtTable(districts: readonly MapDistrict[], locale: Locale, counts: Map<string, number> | undefined): Html {
  const text = words[locale];
  const unbounded = districts.filter((district) => !district.boundary);
  return html`<div class="table-wrap">
      <table class="map-districts">
        <thead>
          <tr>
            <th scope="col">${text.district}</th>
            <th scope="col">${text.committee}</th>
            <th scope="col">${text.roadCommittees}</th>
            ${counts && html`<th scope="col" class="number">${text.openCases}</th>`}
          </tr>
        </thead>
        <tbody>
          ${districts.map(
            (district) =>
              html`<tr id="district-${district.code}">
                <th scope="row">
                  <a href="#district-${district.code}" data-district="${district.code}">${district.name[locale]}</a>
                  ${!district.boundary && html`<span class="muted">${text.noBoundary}</span>`}
                </th>
                <td>
                  ${district.committee[locale]}<br />${text.phone}: ${phoneLink(district.officePhone)}<br /><span class="muted"
                    >${text.hours}: ${district.officeHours[locale]}</span
                  >
                </td>
                <td>
                  ${district.roadCommittees.map(
                    (committee, at) => html`${at > 0 && html`<br />`}${committee.name[locale]} ${phoneLink(committee.phone)}`,
                  )}
                </td>
                ${counts && html`<td class="number">${counts.get(district.code) ?? 0}</td>`}
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${unbounded.length > 0 &&
    html`<p class="notice">${text.unbounded(unbounded.map((district) => district.name[locale]).join(locale === "zh" ? "、" : ", "))}</p>`}`;
}

/** The origins a tile template's requests go to, for the page's image policy: one per subdomain `{s}` stands for. */
export function tileOrigins(tiles: MapTiles): string[] {
  const hosts = tiles.url.includes("{s}") ? TILE_SUBDOMAINS.map((letter) => tiles.url.replaceAll("{s}", letter)) : [tiles.url];
  return [...new Set(hosts.map((url) => new URL(url).origin))];
}

function json(status: number, body: unknown, caching: Record<string, string>): HttpResponse {
  return {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...caching },
    body: JSON.stringify(body),
  };
}
