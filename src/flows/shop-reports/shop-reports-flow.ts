import { z } from "zod";
import type { MerchantAnswerResult, MerchantCaseLine, MerchantCaseView } from "../../domain/reports/merchant-answers.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import { startFlowChoice } from "../kit/menu.ts";
import type { ChoiceOption, InboundEvent, OutboundMessage } from "../kit/messages.ts";
import { photoRefusal } from "../report/report-flow.ts";
import { timelineLine, townTime } from "../report/view.ts";
import { townName } from "../kit/town-words.ts";

/** What a merchant can do with a report about their shop, from a notice's buttons or from /shopreports. */
export const SHOP_REPORT_ACTIONS = ["view", "rectify", "dispute"] as const;
export type ShopReportAction = (typeof SHOP_REPORT_ACTIONS)[number];

/**
 * The button value for an action on a report about one's shop. It starts this
 * flow with `<action>:<reference>` from any message (a notice delivered days
 * ago, the list, a view), and the merchant domain checks the binding each time.
 */
export function shopReportChoice(action: ShopReportAction, reference: string): string {
  return `${startFlowChoice("shopReports")}:${action}:${reference}`;
}

const CANCEL = "cancel";

const stateSchema = z.discriminatedUnion("stage", [
  z.object({ stage: z.literal("rectifyNote"), reference: z.string(), photoId: z.string().optional() }),
  z.object({ stage: z.literal("disputeReason"), reference: z.string() }),
]);
type ShopReportsState = z.infer<typeof stateSchema>;

function who(context: FlowContext) {
  return { channel: context.user.channel, userId: context.user.userId };
}

function done(text: string): Step<never> {
  return { type: "done", replies: [{ type: "text", text }] };
}

/** The list: open reports about the merchant's shops (oldest first), then the recently closed ones, each a button. */
async function showList(context: FlowContext): Promise<Step<ShopReportsState>> {
  const { t, locale } = context;
  const s = t.shopReports;
  const result = await context.services.merchantReports.casesOf(who(context));
  if (result.type === "notMerchant") return done(s.notMerchant(townName(context)));
  const severalShops = result.shops.length > 1;
  const line = (report: MerchantCaseLine) =>
    s.line(
      report.reference,
      severalShops ? `${report.shop[locale]} · ${report.category[locale]}` : report.category[locale],
      t.report.status[report.status],
      report.place?.[locale] ?? s.noPlace,
      townTime(report.reportedAt, locale, context.services.timeZone),
    );
  const lines = [s.title(result.shops.map((shop) => shop.name[locale]).join("、")), ""];
  lines.push(...(result.open.length > 0 ? [s.openTitle(result.open.length), ...result.open.map(line)] : [s.noOpen]));
  if (result.history.length > 0) lines.push("", s.historyTitle(result.history.length), ...result.history.map(line));
  const options = [...result.open, ...result.history].map(
    (report): ChoiceOption => ({
      label: s.button(report.reference, report.category[locale], t.report.status[report.status]),
      value: shopReportChoice("view", report.reference),
    }),
  );
  const reply: OutboundMessage =
    options.length > 0 ? { type: "choices", text: lines.join("\n"), options } : { type: "text", text: lines.join("\n") };
  return { type: "done", replies: [reply] };
}

/** One report as its shop sees it, with the answers still possible. */
function viewMessage(view: MerchantCaseView, context: FlowContext): OutboundMessage {
  const { t, locale } = context;
  const s = t.shopReports;
  const lines = [
    s.viewTitle(view.reference, t.report.status[view.status]),
    s.shop(view.shop[locale]),
    t.report.summaryCategory(view.category[locale]),
    t.alerts.clause(view.clause.ref, view.clause.text[locale]),
    s.time(townTime(view.reportedAt, locale, context.services.timeZone)),
    t.report.summaryPlace(view.place?.[locale] ?? s.noPlace),
    t.report.summaryDescription(view.description),
  ];
  if (view.rejectReason) lines.push(t.report.viewRejected(t.report.rejectReasons[view.rejectReason]));
  lines.push(
    s.identity,
    "",
    t.report.timelineTitle,
    ...view.timeline.map((entry) => timelineLine(entry, t.report.timelineBy[entry.by], t, locale, context.services.timeZone)),
  );
  const open = view.status !== "RESOLVED" && view.status !== "REJECTED";
  const options: ChoiceOption[] = [
    ...(open
      ? [
          { label: s.rectify, value: shopReportChoice("rectify", view.reference) },
          { label: s.dispute, value: shopReportChoice("dispute", view.reference) },
        ]
      : []),
    { label: s.backToList, value: startFlowChoice("shopReports") },
  ];
  return { type: "choices", text: lines.join("\n"), options };
}

async function showReport(reference: string, context: FlowContext): Promise<Step<ShopReportsState>> {
  const { t } = context;
  const result = await context.services.merchantReports.view(who(context), reference);
  if (result.type === "notMerchant") return done(t.shopReports.notMerchant(townName(context)));
  if (result.type === "notFound") return done(t.shopReports.notFound(reference.trim()));
  return { type: "done", replies: [viewMessage(result.view, context)] };
}

/** A question of an answer, with a way back to the report and out. */
function ask(state: ShopReportsState, question: string, context: FlowContext): Step<ShopReportsState> {
  const { t } = context;
  return {
    type: "continue",
    state,
    replies: [
      {
        type: "choices",
        text: question,
        options: [
          { label: t.report.back, value: shopReportChoice("view", state.reference) },
          { label: t.report.cancel, value: CANCEL },
        ],
      },
    ],
  };
}

/** Before asking for a note, check the merchant may answer at all: nobody types a reason for nothing. */
async function startAnswer(action: "rectify" | "dispute", reference: string, context: FlowContext): Promise<Step<ShopReportsState>> {
  const { t } = context;
  const result = await context.services.merchantReports.view(who(context), reference);
  if (result.type === "notMerchant") return done(t.shopReports.notMerchant(townName(context)));
  if (result.type === "notFound") return done(t.shopReports.notFound(reference.trim()));
  const { view } = result;
  if (view.status === "RESOLVED" || view.status === "REJECTED")
    return done(t.shopReports.closed(view.reference, t.report.status[view.status]));
  if (action === "rectify")
    return ask({ stage: "rectifyNote", reference: view.reference }, t.shopReports.askRectifyNote(view.reference), context);
  return ask({ stage: "disputeReason", reference: view.reference }, t.shopReports.askDisputeReason(view.reference), context);
}

/** What to tell the merchant after an answer; an invalid note is asked again with the state kept. */
function answered(result: MerchantAnswerResult, state: ShopReportsState, context: FlowContext): Step<ShopReportsState> {
  const s = context.t.shopReports;
  switch (result.type) {
    case "ok":
      return done(
        result.answer === "rectified" ? s.rectified(result.reference, townName(context)) : s.disputed(result.reference, townName(context)),
      );
    case "invalidNote":
      return ask(state, s.noteInvalid, context);
    case "notMerchant":
      return done(s.notMerchant(townName(context)));
    case "notFound":
      return done(s.notFound(state.reference));
    case "closed":
      return done(s.closed(result.reference, context.t.report.status[result.status]));
  }
}

function textOf(event: InboundEvent): string | undefined {
  return event.payload.type === "text" ? event.payload.text : undefined;
}

/**
 * /shopreports for a merchant bound to a shop: the reports about the shop
 * (open ones oldest first, then the last closed ones), one report with its
 * timeline, and the shop's answer to an open one: put right (a note and an
 * optional photo) or disputed (a reason). Never shows who reported. Anyone not
 * bound to a shop is told how to bind.
 */
export const shopReportsFlow: Flow<ShopReportsState> = {
  id: "shopReports",
  version: 1,
  stateSchema,
  command: { name: "shopreports", audience: "shops" },

  async start(context, input) {
    if (context.user.chatType !== "private") return done(context.t.shopReports.privateOnly);
    if (input?.type === "choice") {
      const [action, ...rest] = input.value.split(":");
      const reference = rest.join(":");
      if (reference && action === "view") return showReport(reference, context);
      if (reference && (action === "rectify" || action === "dispute")) return startAnswer(action, reference, context);
    }
    if (input?.type === "text" && input.text.trim() !== "") return showReport(input.text, context);
    return showList(context);
  },

  async onEvent(state, event, context) {
    const { t } = context;
    const s = t.shopReports;
    if (event.payload.type === "choice" && event.payload.value === CANCEL) return done(s.cancelled);
    const text = textOf(event);
    if (state.stage === "rectifyNote" && event.payload.type === "photo") {
      const saved = await context.services.photos.save(event.channel, event.payload);
      if (!saved.ok) return ask(state, photoRefusal(saved, t), context);
      return ask({ ...state, photoId: saved.mediaId }, s.photoKept, context);
    }
    if (text === undefined) return ask(state, s.expectText, context);
    const answer =
      state.stage === "rectifyNote"
        ? { kind: "rectified" as const, note: text, ...(state.photoId ? { photoId: state.photoId } : {}) }
        : { kind: "disputed" as const, note: text };
    return answered(await context.services.merchantReports.answer(who(context), state.reference, answer), state, context);
  },
};
