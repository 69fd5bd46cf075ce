import { z } from "zod";
import { feedbackChoices } from "../../flows/feedback/feedback-flow.ts";
import { catalogFor } from "../../flows/i18n/catalog.ts";
import type { OutboundMessage } from "../../flows/kit/messages.ts";

const bilingual = z.object({ zh: z.string(), en: z.string() });
const status = z.enum(["SUBMITTED", "ACKNOWLEDGED", "IN_PROGRESS", "RESOLVED", "REJECTED"]);

/** What the reports domain queues for residents (see ResidentUpdatePayload); checked again on the way out. */
const residentUpdate = z.object({
  reference: z.string(),
  status,
  note: z.string().nullable(),
  rejectReason: z.enum(["NOT_OUR_RESPONSIBILITY", "DUPLICATE", "INVALID"]).nullable(),
  duplicateOf: z.string().nullable(),
  route: z.object({ kind: z.string(), code: z.string(), name: bilingual }).nullable(),
  askFeedback: z.boolean(),
  reopened: z.boolean(),
  relation: z.enum(["reporter", "follower"]),
  locale: z.enum(["zh", "en"]),
});

/** What the reports domain queues for staff groups (see StaffAlertPayload). */
const staffAlert = z.object({
  reference: z.string(),
  category: bilingual,
  clause: z.object({ ref: z.string(), text: bilingual }),
  place: bilingual,
  position: z.object({ latitude: z.number(), longitude: z.number() }).nullable(),
  description: z.string(),
  shop: bilingual.nullable(),
  photoCount: z.number().int(),
  route: z.object({ kind: z.string(), code: z.string(), name: bilingual }).nullable(),
  locale: z.enum(["zh", "en"]),
});

/** Raised for an outbox row this renderer cannot read; the worker dead-letters it with this message. */
export class UnreadableOutboxRowError extends Error {
  constructor(
    readonly kind: string,
    readonly problem: string,
  ) {
    super(`Outbox row of kind "${kind}" cannot be rendered: ${problem}`);
    this.name = "UnreadableOutboxRowError";
  }
}

/**
 * Turns a queued outbox row into the messages its recipient reads, in the
 * recipient's language. `undefined` means there is nothing to send (the
 * resident was already told in the conversation that caused the row).
 */
export function renderOutboxRow(row: { kind: string; payload: unknown }): OutboundMessage[] | undefined {
  if (row.kind === "report.submitted") return undefined;
  if (row.kind === "alert.new") return renderStaffAlert(parse(staffAlert, row));
  if (row.kind !== "report.status" && row.kind !== "report.rerouted") throw new UnreadableOutboxRowError(row.kind, "unknown kind");
  const update = parse(residentUpdate, row);
  const t = catalogFor(update.locale);
  if (row.kind === "report.rerouted") {
    const committee = update.route?.name[update.locale] ?? t.report.summaryNoRoute;
    return [{ type: "text", text: [t.updates.rerouted(update.reference, committee), t.updates.details(update.reference)].join("\n") }];
  }
  const lines = [t.updates.status(update.reference, t.report.status[update.status], update.relation)];
  if (update.reopened) lines.push(t.updates.reopened);
  if (update.note) lines.push(t.updates.note(update.note));
  if (update.rejectReason) lines.push(t.updates.rejected(t.report.rejectReasons[update.rejectReason]));
  if (update.duplicateOf) lines.push(t.updates.merged(update.duplicateOf));
  lines.push(t.updates.details(update.reference));
  const messages: OutboundMessage[] = [{ type: "text", text: lines.join("\n") }];
  if (update.askFeedback) messages.push({ type: "choices", text: t.updates.askFixed, options: feedbackChoices(update.reference, t) });
  return messages;
}

function parse<T>(schema: z.ZodType<T>, row: { kind: string; payload: unknown }): T {
  const parsed = schema.safeParse(row.payload);
  if (!parsed.success) throw new UnreadableOutboxRowError(row.kind, parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "));
  return parsed.data;
}

function renderStaffAlert(alert: z.infer<typeof staffAlert>): OutboundMessage[] {
  const { locale } = alert;
  const a = catalogFor(locale).alerts;
  const lines = [
    a.title(alert.reference, alert.category[locale]),
    a.clause(alert.clause.ref, alert.clause.text[locale]),
    a.place(alert.place[locale]),
    a.description(alert.description),
  ];
  if (alert.shop) lines.push(a.shop(alert.shop[locale]));
  lines.push(a.photos(alert.photoCount), alert.route ? a.route(alert.route.name[locale]) : a.unrouted);
  const text = lines.join("\n");
  if (!alert.position) return [{ type: "text", text }];
  // Amap reads WGS-84 when told so, and opens in the map apps staff in Shanghai use.
  const url = `https://uri.amap.com/marker?position=${alert.position.longitude},${alert.position.latitude}&coordinate=wgs84`;
  return [{ type: "link", text, url, label: a.map }];
}
