import { z } from "zod";
import { validSignerName, type CompactVersionView } from "../../domain/compact/compact.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import type { OutboundMessage } from "../kit/messages.ts";
import { understand } from "../kit/understand.ts";
import { compactPage, pageCount, READ_CHOICES, receiptText } from "./compact-text.ts";
import { townName } from "../kit/town-words.ts";

const stateSchema = z.discriminatedUnion("stage", [
  /** `question`: words typed for a code that read as something else, offered to be asked instead. */
  z.object({ stage: z.literal("code"), question: z.string().optional() }),
  z.object({ stage: z.literal("name"), merchantCode: z.string(), suggestion: z.string().nullable() }),
  z.object({
    stage: z.literal("read"),
    merchantCode: z.string(),
    signerName: z.string(),
    versionId: z.string(),
    page: z.number().int().min(0),
  }),
]);
type ShopState = z.infer<typeof stateSchema>;
type ReadState = Extract<ShopState, { stage: "read" }>;

/** The start payload of a shop invitation link: `https://t.me/<bot>?start=merchant-<code>`. */
export const MERCHANT_DEEP_LINK_PREFIX = "merchant-";
/** A choice that opens reading and signing for a bound shop: `ack:<merchant code>` (from /compact and the notices). */
export const ACK_PREFIX = "ack:";
const USE_SUGGESTION = "name:suggested";
/** The button that asks the words typed for a code as the question they read as. */
const ASK_INSTEAD = "code:ask";

const say = (text: string): Step<never> => ({ type: "done", replies: [{ type: "text", text }] });

function askName(merchantCode: string, suggestion: string | null, context: FlowContext, before: OutboundMessage[] = []): Step<ShopState> {
  const b = context.t.compact.bind;
  const ask: OutboundMessage = suggestion
    ? { type: "choices", text: b.askName, options: [{ label: b.useName(suggestion), value: USE_SUGGESTION }] }
    : { type: "text", text: b.askName };
  return { type: "continue", state: { stage: "name", merchantCode, suggestion }, replies: [...before, ask] };
}

function showPage(state: ReadState, version: CompactVersionView, context: FlowContext, before: OutboundMessage[] = []): Step<ShopState> {
  const page = Math.min(state.page, pageCount(version) - 1);
  const { text, options } = compactPage(version, page, context.t, context.locale, context.services.timeZone);
  return { type: "continue", state: { ...state, page, versionId: version.id }, replies: [...before, { type: "choices", text, options }] };
}

async function startReading(merchantCode: string, signerName: string, context: FlowContext): Promise<Step<ShopState>> {
  const version = await context.services.compact.latestVersion();
  if (!version) return say(context.t.compact.read.noCompact(townName(context)));
  return showPage({ stage: "read", merchantCode, signerName, versionId: version.id, page: 0 }, version, context);
}

async function redeem(code: string, context: FlowContext): Promise<Step<ShopState>> {
  const { t, user, locale, services } = context;
  const result = await services.compact.redeem(code, { channel: user.channel, userId: user.userId, chatId: user.chatId, locale });
  switch (result.type) {
    case "bound":
      return askName(result.shop.code, null, context, [{ type: "text", text: t.compact.bind.bound(result.shop.name[locale]) }]);
    case "invalid":
      return { type: "continue", state: { stage: "code" }, replies: [{ type: "text", text: t.compact.bind.invalid }] };
    case "expired":
      return say(t.compact.bind.expired);
    case "used":
      return say(t.compact.bind.used);
  }
}

/** Opens reading and signing for a shop the account is bound to, suggesting the name it signed with last time. */
async function startAcknowledging(merchantCode: string, context: FlowContext): Promise<Step<ShopState>> {
  const mine = (await context.services.compact.myShops(context.user)).find((s) => s.shop.code === merchantCode);
  if (!mine) return say(context.t.compact.notBound);
  return askName(merchantCode, mine.lastAcknowledged?.signerName ?? null, context);
}

async function acknowledge(state: ReadState, context: FlowContext): Promise<Step<ShopState>> {
  const { t, locale, services, user } = context;
  const latest = await services.compact.latestVersion();
  if (!latest) return say(t.compact.read.noCompact(townName(context)));
  // What is signed must be what was read: a version published meanwhile is read first.
  if (latest.id !== state.versionId)
    return showPage({ ...state, page: 0 }, latest, context, [{ type: "text", text: t.compact.read.changed }]);
  const result = await services.compact.acknowledge(user, state.signerName, state.merchantCode);
  switch (result.type) {
    case "acknowledged":
      return say(receiptText(result.receipt, t, locale, services.timeZone));
    case "alreadyAcknowledged":
      return say(`${t.compact.alreadySigned}\n${receiptText(result.receipt, t, locale, services.timeZone)}`);
    case "notBound":
      return say(t.compact.notBound);
    case "noCompact":
      return say(t.compact.read.noCompact(townName(context)));
    case "invalidName":
      return askName(state.merchantCode, null, context, [{ type: "text", text: t.compact.bind.nameInvalid }]);
  }
}

/**
 * /shop <code>, or a shop invitation link (`/start merchant-<code>`): binds
 * this chat account to the shop, asks the name to sign with, shows the
 * compact a few clauses a page, and on "我已阅读并承诺遵守" records the
 * acknowledgement and answers with a receipt. Also opened by the button of
 * /compact and of the compact notices (`ack:<shop>`), for a shop already bound.
 */
export const shopFlow: Flow<ShopState> = {
  id: "shop",
  version: 1,
  stateSchema,
  command: { name: "shop", audience: "shops" },
  deepLinkPrefix: MERCHANT_DEEP_LINK_PREFIX,

  async start(context, input) {
    if (input?.type === "choice" && input.value.startsWith(ACK_PREFIX))
      return startAcknowledging(input.value.slice(ACK_PREFIX.length), context);
    if (input?.type === "text" && input.text.trim() !== "") return redeem(input.text, context);
    return { type: "continue", state: { stage: "code" }, replies: [{ type: "text", text: context.t.compact.bind.askCode }] };
  },

  async onEvent(state, event, context) {
    const { payload } = event;
    const { t } = context;
    switch (state.stage) {
      case "code": {
        if (payload.type === "choice" && payload.value === ASK_INSTEAD && state.question !== undefined) {
          return { type: "handoff", flow: "freeText", input: { type: "text", text: state.question }, replies: [] };
        }
        if (payload.type !== "text" || payload.text.trim() === "")
          return { type: "continue", state, replies: [{ type: "text", text: t.compact.bind.askCode }] };
        // A code is letters and digits, which read as nothing clear; words that do are a question, not a wrong code.
        const { intent } = understand(payload.text, context);
        if (intent === undefined) return redeem(payload.text, context);
        const what = t.understand.intents[intent];
        return {
          type: "continue",
          state: { stage: "code", question: payload.text },
          replies: [{ type: "choices", text: t.compact.bind.notACode(what), options: [{ label: what, value: ASK_INSTEAD }] }],
        };
      }
      case "name": {
        const typed =
          payload.type === "choice" && payload.value === USE_SUGGESTION ? state.suggestion : payload.type === "text" ? payload.text : null;
        const name = typed === null ? undefined : validSignerName(typed);
        if (!name) return askName(state.merchantCode, state.suggestion, context, [{ type: "text", text: t.compact.bind.nameInvalid }]);
        return startReading(state.merchantCode, name, context);
      }
      case "read": {
        const choice = payload.type === "choice" ? payload.value : undefined;
        if (choice === READ_CHOICES.later) return say(t.compact.read.laterDone);
        if (choice === READ_CHOICES.agree) return acknowledge(state, context);
        const version = await context.services.compact.latestVersion();
        if (!version) return say(t.compact.read.noCompact(townName(context)));
        const page =
          choice === READ_CHOICES.next ? state.page + 1 : choice === READ_CHOICES.previous ? Math.max(0, state.page - 1) : state.page;
        return showPage({ ...state, page }, version, context);
      }
    }
  },
};
