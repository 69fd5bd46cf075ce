import { z } from "zod";
import type { RejectReasonName, StaffCaseView } from "../../domain/reports/reports.ts";
import type { CaseCommand } from "../../domain/staff/desk.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import type { InboundEvent, OutboundMessage } from "../kit/messages.ts";
import { photoRefusal } from "../report/report-flow.ts";
import { timelineLine, townTime } from "../report/view.ts";
import { actionsFor, caseActionChoice, CASE_ACTIONS, type CaseAction } from "./case-actions.ts";
import { caseFactLines } from "./case-text.ts";
import { finish, finishWithNotice, privateOnly, refusalText, validNote } from "./common.ts";
import { exampleReference } from "../kit/town-words.ts";

const REJECT_REASONS = ["NOT_OUR_RESPONSIBILITY", "DUPLICATE", "INVALID"] as const satisfies readonly RejectReasonName[];

const stateSchema = z.discriminatedUnion("stage", [
  z.object({ stage: z.literal("reference") }),
  z.object({ stage: z.literal("resolveNote"), reference: z.string(), photoId: z.string().optional() }),
  z.object({ stage: z.literal("rejectReason"), reference: z.string() }),
  z.object({ stage: z.literal("duplicateOf"), reference: z.string() }),
  z.object({ stage: z.literal("rejectNote"), reference: z.string(), reason: z.enum(REJECT_REASONS), duplicateOf: z.string().optional() }),
]);
type CaseState = z.infer<typeof stateSchema>;

/**
 * Asks the next question of an action. Telegram passes a bot only the group
 * messages addressed to it, so in a group the answer must be a reply to the
 * question, and the question says so.
 */
function ask(state: CaseState, question: string, context: FlowContext, options?: { label: string; value: string }[]): Step<CaseState> {
  const text = context.user.chatType === "group" && !options ? `${question}\n${context.t.staff.case.replyInGroup}` : question;
  return { type: "continue", state, replies: [options ? { type: "choices", text, options } : { type: "text", text }] };
}

function contactLine(view: StaffCaseView, context: FlowContext): string {
  const c = context.t.staff.case;
  const contact = view.reporterContact;
  if (!contact) return c.noContact;
  const name = contact.displayName ?? c.unnamed;
  if (contact.channel === "telegram") return c.contactTelegram(name, `tg://user?id=${contact.userId}`);
  const channel = contact.channel === "web" || contact.channel === "wecom" ? c.channels[contact.channel] : contact.channel;
  return c.contactOther(name, channel);
}

/** The whole case for the staff handling it, its photos, and buttons for what can be done now. */
function caseMessages(view: StaffCaseView, context: FlowContext): OutboundMessage[] {
  const { t, locale } = context;
  const a = t.alerts;
  const lines = [
    t.staff.case.title(view.reference, t.report.status[view.status]),
    t.staff.case.submittedAt(townTime(view.createdAt, locale, context.services.timeZone)),
    a.case(view.reference, view.category[locale]),
    ...caseFactLines({ ...view, photoCount: view.photoIds.length }, t, locale),
  ];
  if (view.rejectReason) lines.push(t.report.viewRejected(t.report.rejectReasons[view.rejectReason]));
  lines.push(contactLine(view, context), "", t.report.timelineTitle);
  for (const entry of view.timeline)
    lines.push(timelineLine(entry, entry.actorLabel ?? t.report.timelineBy[entry.by], t, locale, context.services.timeZone));
  const actions = actionsFor(view.status);
  const main: OutboundMessage =
    actions.length > 0
      ? {
          type: "choices",
          text: lines.join("\n"),
          options: actions.map((action) => ({ label: a.actions[action], value: caseActionChoice(action, view.reference) })),
        }
      : { type: "text", text: lines.join("\n") };
  return [
    main,
    ...view.photoIds.map(
      (mediaId, i): OutboundMessage => ({ type: "photo", mediaId, caption: a.photoCaption(view.reference, i + 1, view.photoIds.length) }),
    ),
  ];
}

async function showCase(reference: string, context: FlowContext): Promise<Step<CaseState>> {
  const { t, user, services } = context;
  if (user.chatType !== "private") return { type: "done", replies: privateOnly(t) };
  const result = await services.desk.caseDetail(user, reference);
  if (result.type === "notFound") return ask({ stage: "reference" }, t.staff.case.notFound(reference.trim()), context);
  if (result.type !== "ok") return finish(refusalText(result, reference, t) ?? t.staff.notStaff);
  return { type: "done", replies: caseMessages(result.view, context) };
}

/** A brief answer to a desk action; the alerts and residents hear of it through the outbox. */
function answer(
  result: Awaited<ReturnType<FlowContext["services"]["desk"]["act"]>>,
  reference: string,
  context: FlowContext,
): Step<CaseState> {
  const { t } = context;
  if (result.type !== "ok") return finishWithNotice(refusalText(result, reference, t) ?? t.staff.notStaff);
  return finishWithNotice(t.staff.case.done(result.reference, t.report.status[result.status]));
}

async function act(reference: string, command: CaseCommand, context: FlowContext): Promise<Step<CaseState>> {
  return answer(await context.services.desk.act(context.user, reference, command), reference, context);
}

/** Before asking a question that leads to an action, check the asker may act at all: nobody types a note for nothing. */
async function mayAct(
  reference: string,
  context: FlowContext,
): Promise<{ ok: true; reference: string } | { ok: false; step: Step<CaseState> }> {
  const result = await context.services.desk.caseDetail(context.user, reference);
  if (result.type === "ok") return { ok: true, reference: result.view.reference };
  return { ok: false, step: finishWithNotice(refusalText(result, reference, context.t) ?? context.t.staff.notStaff) };
}

async function startAction(action: CaseAction, reference: string, context: FlowContext): Promise<Step<CaseState>> {
  const { t } = context;
  if (action === "claim") return act(reference, { type: "claim" }, context);
  if (action === "progress") return act(reference, { type: "progress" }, context);
  const allowed = await mayAct(reference, context);
  if (!allowed.ok) return allowed.step;
  if (action === "resolve")
    return ask({ stage: "resolveNote", reference: allowed.reference }, t.staff.case.askResolveNote(allowed.reference), context);
  return ask(
    { stage: "rejectReason", reference: allowed.reference },
    t.staff.case.askRejectReason(allowed.reference),
    context,
    REJECT_REASONS.map((reason) => ({ label: t.report.rejectReasons[reason], value: `reason:${reason}` })),
  );
}

function textOf(event: InboundEvent): string | undefined {
  return event.payload.type === "text" ? event.payload.text : undefined;
}

/**
 * A case for staff: `/case <reference>` shows it (private chats only: it holds the
 * unmasked description and, if allowed, the reporter's contact); an alert's or
 * the case's buttons claim it, start work, resolve it (asking for a note and
 * an optional photo) or reject it (asking for a reason and a note). Every step
 * goes through the staff desk, which checks the person covers the case.
 */
export const caseFlow: Flow<CaseState> = {
  id: "case",
  version: 1,
  stateSchema,
  command: { name: "case", audience: "districtStaff" },

  async start(context, input) {
    if (input?.type === "choice") {
      const [action, ...rest] = input.value.split(":");
      const reference = rest.join(":");
      if (action === "view") return showCase(reference, context);
      const known = CASE_ACTIONS.find((a) => a === action);
      if (known && reference) return startAction(known, reference, context);
    }
    if (input?.type === "text" && input.text.trim() !== "") return showCase(input.text, context);
    if (!(await context.services.desk.whoIs(context.user))) return finish(context.t.staff.notStaff);
    return ask({ stage: "reference" }, context.t.staff.case.askReference(exampleReference(context)), context);
  },

  async onEvent(state, event, context) {
    const { t } = context;
    const text = textOf(event);
    switch (state.stage) {
      case "reference":
        return text === undefined ? ask(state, t.staff.case.askReference(exampleReference(context)), context) : showCase(text, context);
      case "resolveNote": {
        if (event.payload.type === "photo") {
          const saved = await context.services.photos.save(event.channel, event.payload);
          if (!saved.ok) return ask(state, photoRefusal(saved, t), context);
          return ask({ ...state, photoId: saved.mediaId }, t.staff.case.photoKept, context);
        }
        if (text === undefined) return ask(state, t.staff.case.expectText, context);
        const note = validNote(text);
        if (!note) return ask(state, t.staff.case.noteInvalid, context);
        return act(state.reference, { type: "resolve", note, ...(state.photoId ? { photoId: state.photoId } : {}) }, context);
      }
      case "rejectReason": {
        const reason =
          event.payload.type === "choice"
            ? REJECT_REASONS.find((r) => event.payload.type === "choice" && event.payload.value === `reason:${r}`)
            : undefined;
        if (!reason) return startAction("reject", state.reference, context);
        if (reason === "DUPLICATE")
          return ask({ stage: "duplicateOf", reference: state.reference }, t.staff.case.askDuplicateOf(exampleReference(context)), context);
        return ask({ stage: "rejectNote", reference: state.reference, reason }, t.staff.case.askRejectNote, context);
      }
      case "duplicateOf":
        if (text === undefined || text.trim() === "") return ask(state, t.staff.case.askDuplicateOf(exampleReference(context)), context);
        return ask(
          { stage: "rejectNote", reference: state.reference, reason: "DUPLICATE", duplicateOf: text.trim() },
          t.staff.case.askRejectNote,
          context,
        );
      case "rejectNote": {
        if (text === undefined) return ask(state, t.staff.case.expectText, context);
        const note = validNote(text);
        if (!note) return ask(state, t.staff.case.noteInvalid, context);
        const result = await context.services.desk.act(context.user, state.reference, {
          type: "reject",
          reason: state.reason,
          note,
          ...(state.duplicateOf ? { duplicateOf: state.duplicateOf } : {}),
        });
        // A mistyped original is asked again rather than losing the note.
        if (result.type === "unknownTarget")
          return ask({ stage: "duplicateOf", reference: state.reference }, t.staff.case.unknownTarget, context);
        return answer(result, state.reference, context);
      }
    }
  },
};
