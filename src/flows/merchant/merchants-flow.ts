import { z } from "zod";
import type { NewShop, RoadReportResult } from "../../domain/compact/compact.ts";
import {
  compactContentHash,
  parseChineseClauses,
  parseEnglishLines,
  shortHash,
  type CompactContent,
} from "../../domain/compact/content.ts";
import { renderQrSheets } from "../../domain/compact/qr-sheet.ts";
import { localDateOf, parseLocalDate, startOfLocalDay } from "../../domain/time/zone.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import type { ChoiceOption, OutboundMessage } from "../kit/messages.ts";
import { MERCHANT_DEEP_LINK_PREFIX } from "./shop-flow.ts";
import { townName } from "../kit/town-words.ts";

/** How long shop invitations work: a month covers a round of visits along a street. */
const INVITE_VALID_DAYS = 30;

const clause = z.object({ ref: z.string(), text: z.string(), textEn: z.string() });
const stateSchema = z.discriminatedUnion("stage", [
  z.object({ stage: z.literal("road") }),
  z.object({ stage: z.literal("action"), roadCode: z.string() }),
  z.object({ stage: z.literal("pickShop"), roadCode: z.string() }),
  z.object({ stage: z.literal("addName"), roadCode: z.string() }),
  z.object({ stage: z.literal("addNumber"), roadCode: z.string(), name: z.string() }),
  z.object({ stage: z.literal("addExtra"), roadCode: z.string(), name: z.string(), houseNumber: z.number().int().nullable() }),
  z.object({ stage: z.literal("pubZh") }),
  z.object({ stage: z.literal("pubEn"), title: z.string().nullable(), clauses: z.array(z.object({ ref: z.string(), text: z.string() })) }),
  z.object({ stage: z.literal("pubDate"), title: z.string(), titleEn: z.string(), clauses: z.array(clause) }),
  z.object({ stage: z.literal("pubConfirm"), title: z.string(), titleEn: z.string(), clauses: z.array(clause), effectiveFrom: z.string() }),
]);
type MerchantsState = z.infer<typeof stateSchema>;

const ROAD_PREFIX = "road:";
const SHOP_PREFIX = "shop:";
const PUBLISH = "publish";
const SKIP = "skip";
const CONFIRM = "pub:confirm";
const CANCEL = "pub:cancel";
const ACTIONS = { csv: "act:csv", inviteRoad: "act:inviteRoad", inviteShop: "act:inviteShop", add: "act:add" } as const;

const say = (text: string): Step<never> => ({ type: "done", replies: [{ type: "text", text }] });
const ask = (state: MerchantsState, text: string, options?: ChoiceOption[], before: OutboundMessage[] = []): Step<MerchantsState> => ({
  type: "continue",
  state,
  replies: [...before, options ? { type: "choices", text, options } : { type: "text", text }],
});

async function pickRoad(context: FlowContext): Promise<Step<MerchantsState>> {
  const { t, locale, services, user } = context;
  const me = await services.staff.find(user);
  const roads = await services.compact.roadsFor(user);
  const options: ChoiceOption[] = roads.map((r) => ({ label: `${r.name[locale]}（${r.shops}）`, value: `${ROAD_PREFIX}${r.code}` }));
  if (me?.role === "ADMIN") options.push({ label: t.compact.staff.publish, value: PUBLISH });
  if (options.length === 0) return say(t.compact.staff.noRoads);
  return ask({ stage: "road" }, roads.length > 0 ? t.compact.staff.pickRoad : t.compact.staff.noRoads, options);
}

function refusal(result: Exclude<RoadReportResult, { type: "road" }>, context: FlowContext): Step<never> {
  return say(result.type === "notAllowed" ? context.t.compact.staff.notAllowed : context.t.compact.staff.unknownRoad);
}

/** The road's counts and shop list (standing, signer, date) and what staff can do next. */
async function showRoad(roadCode: string, context: FlowContext): Promise<Step<MerchantsState>> {
  const { t, locale, services, user } = context;
  const s = t.compact.staff;
  const report = await services.compact.roadReport(user, roadCode);
  if (report.type !== "road") return refusal(report, context);
  const lines = [
    s.roadTitle(
      report.road[locale],
      report.inForce === null ? s.noneInForce : s.inForce(report.inForce),
      report.counts.current,
      report.counts.outdated,
      report.counts.none,
    ),
    ...report.shops.map((shop, i) =>
      s.shopLine(
        i + 1,
        `${shop.name[locale]}${shop.houseNumber === null ? "" : ` ${shop.houseNumber}`}`,
        t.compact.standing[shop.standing],
        shop.signerName,
        shop.acknowledgedAt ? localDateOf(shop.acknowledgedAt, context.services.timeZone) : null,
      ),
    ),
  ];
  return ask({ stage: "action", roadCode }, lines.join("\n"), [
    { label: s.csv, value: ACTIONS.csv },
    { label: s.inviteRoad, value: ACTIONS.inviteRoad },
    { label: s.inviteShop, value: ACTIONS.inviteShop },
    { label: s.addShop, value: ACTIONS.add },
  ]);
}

async function exportCsv(roadCode: string, context: FlowContext): Promise<Step<MerchantsState>> {
  const { t, locale, services, user } = context;
  const result = await services.compact.roadCsv(user, roadCode);
  if (result.type !== "csv") return refusal(result, context);
  const road = (await services.compact.roadsFor(user)).find((r) => r.code === roadCode)?.name[locale] ?? roadCode;
  return {
    type: "done",
    replies: [
      {
        type: "document",
        fileName: result.fileName,
        mimeType: "text/csv",
        contentBase64: result.content.toString("base64"),
        caption: t.compact.staff.csvCaption(road),
      },
    ],
  };
}

/** Invitations with their printable QR sheet(s) and the number → shop → code list. */
async function invite(target: { merchantCode: string } | { roadCode: string }, context: FlowContext): Promise<Step<MerchantsState>> {
  const { t, locale, services, user } = context;
  const s = t.compact.staff;
  const result = await services.compact.createInvites(user, target, INVITE_VALID_DAYS);
  switch (result.type) {
    case "notAllowed":
      return say(s.notAllowed);
    case "unknownShop":
      return say(s.unknownShop);
    case "unknownRoad":
      return say(s.unknownRoad);
    case "noShops":
      return say(s.noShops);
    case "created":
      break;
  }
  const road = result.invites[0]!.shop.road[locale];
  const linkOf = (code: string) =>
    services.links.telegram(`${MERCHANT_DEEP_LINK_PREFIX}${code}`) ?? services.links.web(`${MERCHANT_DEEP_LINK_PREFIX}${code}`);
  const cells = result.invites.flatMap((inv, i) => {
    const link = linkOf(inv.code);
    return link ? [{ link, number: i + 1 }] : [];
  });
  const caption = s.invitesCaption(road, result.invites.length, INVITE_VALID_DAYS);
  const sheets: OutboundMessage[] =
    cells.length === result.invites.length
      ? renderQrSheets(cells).map((png, i, all) => ({
          type: "document",
          fileName: `${result.invites[0]!.shop.roadCode}-invites${all.length > 1 ? `-${i + 1}` : ""}.png`,
          mimeType: "image/png",
          contentBase64: png.toString("base64"),
          caption,
        }))
      : [];
  const list = result.invites.map((inv, i) => s.inviteLine(i + 1, inv.shop.name.zh, inv.shop.name.en, inv.code));
  return {
    type: "done",
    replies: [...sheets, { type: "text", text: [sheets.length > 0 ? "" : caption, ...list].filter((l) => l !== "").join("\n") }],
  };
}

async function addShop(
  state: Extract<MerchantsState, { stage: "addExtra" }>,
  extra: string | undefined,
  context: FlowContext,
): Promise<Step<MerchantsState>> {
  const { t, locale, services, user } = context;
  const [licenceNumber, contactName, contactPhone] = (extra ?? "").split(/[,，]/).map((part) => part.trim());
  const shop: NewShop = {
    name: state.name,
    roadCode: state.roadCode,
    ...(state.houseNumber === null ? {} : { houseNumber: state.houseNumber }),
    licenceNumber,
    contactName,
    contactPhone,
  };
  const result = await services.compact.addMerchant(user, shop);
  switch (result.type) {
    case "added":
      return say(t.compact.staff.shopAdded(result.shop.name[locale], result.shop.code));
    case "notAllowed":
      return say(t.compact.staff.notAllowed);
    case "unknownRoad":
      return say(t.compact.staff.unknownRoad);
    case "invalidName":
      return ask({ stage: "addName", roadCode: state.roadCode }, t.compact.staff.shopNameInvalid);
    case "invalidHouseNumber":
      return ask({ stage: "addNumber", roadCode: state.roadCode, name: state.name }, t.compact.staff.houseNumberInvalid, [
        { label: t.compact.staff.skip, value: SKIP },
      ]);
  }
}

async function publishChinese(text: string, context: FlowContext): Promise<Step<MerchantsState>> {
  const s = context.t.compact.staff;
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  // A first line that is not a clause is the title.
  const titled = lines.length > 1 && parseChineseClauses(lines[0]!).type !== "ok";
  const parsed = parseChineseClauses((titled ? lines.slice(1) : lines).join("\n"));
  if (parsed.type === "empty") return ask({ stage: "pubZh" }, s.clausesEmpty);
  if (parsed.type === "badLine") return ask({ stage: "pubZh" }, s.clauseBadLine(parsed.line + (titled ? 1 : 0)));
  return ask({ stage: "pubEn", title: titled ? lines[0]! : null, clauses: parsed.clauses }, s.askClausesEn(parsed.clauses.length));
}

async function publishEnglish(
  state: Extract<MerchantsState, { stage: "pubEn" }>,
  text: string,
  context: FlowContext,
): Promise<Step<MerchantsState>> {
  const s = context.t.compact.staff;
  const lines = parseEnglishLines(text);
  const n = state.clauses.length;
  const titled = lines.length === n + 1;
  if (lines.length !== n && !titled) return ask(state, s.clausesEnMismatch(n, lines.length));
  const latest = await context.services.compact.latestVersion();
  const title = state.title ?? latest?.title.zh;
  const titleEn = titled ? lines[0]! : latest?.title.en;
  if (!title || !titleEn) return ask({ stage: "pubZh" }, s.needTitle(townName(context)));
  const english = titled ? lines.slice(1) : lines;
  return ask({ stage: "pubDate", title, titleEn, clauses: state.clauses.map((c, i) => ({ ...c, textEn: english[i]! })) }, s.askDate);
}

function preview(state: Extract<MerchantsState, { stage: "pubConfirm" }>, context: FlowContext): Step<MerchantsState> {
  const s = context.t.compact.staff;
  const content: CompactContent = { title: state.title, titleEn: state.titleEn, clauses: state.clauses };
  const clauses = state.clauses.map((c) => `${context.t.compact.read.clause(c.ref, c.text)}\n${c.textEn}`);
  const text = [
    s.preview(
      context.locale === "zh" ? state.title : state.titleEn,
      state.clauses.length,
      state.effectiveFrom,
      shortHash(compactContentHash(content)),
    ),
    "",
    ...clauses,
  ].join("\n");
  return ask(state, text, [
    { label: s.confirm, value: CONFIRM },
    { label: s.cancel, value: CANCEL },
  ]);
}

async function publish(state: Extract<MerchantsState, { stage: "pubConfirm" }>, context: FlowContext): Promise<Step<MerchantsState>> {
  const s = context.t.compact.staff;
  const result = await context.services.compact.publish(
    context.user,
    { title: state.title, titleEn: state.titleEn, clauses: state.clauses },
    startOfLocalDay(state.effectiveFrom, context.services.timeZone),
  );
  switch (result.type) {
    case "published":
      return say(s.published(result.version, result.noticesQueued));
    case "unchanged":
      return say(s.unchanged(result.version));
    case "notAllowed":
      return say(s.adminOnly);
    case "invalid":
      return ask({ stage: "pubZh" }, s.askClausesZh);
  }
}

/**
 * /merchants (district staff covering a road, and admins; private chat, as
 * the list holds contact details): pick a road → counts and the shop list
 * with standing, signer and date → a CSV, invitation codes for the road or
 * one shop (a printable QR sheet and the code list), or a new shop. Admins
 * also publish a new version of the compact: Chinese clauses, English lines,
 * effective date, then a preview with the content hash to confirm. The
 * compact service checks authorization on every call.
 */
export const merchantsFlow: Flow<MerchantsState> = {
  id: "merchants",
  version: 1,
  stateSchema,
  command: { name: "merchants", audience: "districtStaff" },

  async start(context) {
    const { t, user, services } = context;
    if (user.chatType !== "private") return say(t.compact.staff.privateOnly);
    const me = await services.staff.find(user);
    if (me?.role !== "ADMIN" && me?.role !== "DISTRICT_STAFF") return say(me ? t.compact.staff.notAllowed : t.staff.notStaff);
    return pickRoad(context);
  },

  async onEvent(state, event, context) {
    const { payload } = event;
    const s = context.t.compact.staff;
    const choice = payload.type === "choice" ? payload.value : undefined;
    const text = payload.type === "text" ? payload.text.trim() : undefined;
    switch (state.stage) {
      case "road":
        if (choice === PUBLISH) {
          const me = await context.services.staff.find(context.user);
          return me?.role === "ADMIN" ? ask({ stage: "pubZh" }, s.askClausesZh) : say(s.adminOnly);
        }
        if (choice?.startsWith(ROAD_PREFIX)) return showRoad(choice.slice(ROAD_PREFIX.length), context);
        return pickRoad(context);
      case "action":
        if (choice === ACTIONS.csv) return exportCsv(state.roadCode, context);
        if (choice === ACTIONS.inviteRoad) return invite({ roadCode: state.roadCode }, context);
        if (choice === ACTIONS.add) return ask({ stage: "addName", roadCode: state.roadCode }, s.askShopName);
        if (choice === ACTIONS.inviteShop) {
          const shops = await context.services.compact.shopsOf(context.user, state.roadCode);
          if (!Array.isArray(shops)) return say(s.notAllowed);
          if (shops.length === 0) return say(s.noShops);
          return ask(
            { stage: "pickShop", roadCode: state.roadCode },
            s.pickShop,
            shops.map((shop) => ({
              label: `${shop.name[context.locale]}${shop.houseNumber === null ? "" : ` ${shop.houseNumber}`}`,
              value: `${SHOP_PREFIX}${shop.code}`,
            })),
          );
        }
        return showRoad(state.roadCode, context);
      case "pickShop":
        if (choice?.startsWith(SHOP_PREFIX)) return invite({ merchantCode: choice.slice(SHOP_PREFIX.length) }, context);
        return showRoad(state.roadCode, context);
      case "addName":
        if (!text || [...text].length > 60) return ask(state, s.shopNameInvalid);
        return ask({ stage: "addNumber", roadCode: state.roadCode, name: text }, s.askHouseNumber, [{ label: s.skip, value: SKIP }]);
      case "addNumber": {
        if (choice === SKIP) return ask({ ...state, stage: "addExtra", houseNumber: null }, s.askExtra, [{ label: s.skip, value: SKIP }]);
        const number = text && /^\d{1,5}$/.test(text) ? Number(text) : NaN;
        if (!(number >= 1)) return ask(state, s.houseNumberInvalid, [{ label: s.skip, value: SKIP }]);
        return ask({ ...state, stage: "addExtra", houseNumber: number }, s.askExtra, [{ label: s.skip, value: SKIP }]);
      }
      case "addExtra":
        return addShop(state, choice === SKIP ? undefined : text, context);
      case "pubZh":
        return text ? publishChinese(text, context) : ask(state, s.askClausesZh);
      case "pubEn":
        return text ? publishEnglish(state, text, context) : ask(state, s.askClausesEn(state.clauses.length));
      case "pubDate": {
        if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text) || parseLocalDate(text) === undefined) return ask(state, s.dateInvalid);
        return preview({ ...state, stage: "pubConfirm", effectiveFrom: text }, context);
      }
      case "pubConfirm":
        if (choice === CONFIRM) return publish(state, context);
        if (choice === CANCEL) return say(s.cancelled);
        return preview(state, context);
    }
  },
};
