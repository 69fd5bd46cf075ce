import { z } from "zod";

/*
 * Schemas of what the domain queues in outbox payloads, shared by the
 * renderers: a payload is checked again on the way out, because a row may
 * have been written by an older version or edited by hand.
 */

export const bilingual = z.object({ zh: z.string(), en: z.string() });
export const locale = z.enum(["zh", "en"]);
export const reportStatus = z.enum(["SUBMITTED", "ACKNOWLEDGED", "IN_PROGRESS", "RESOLVED", "REJECTED"]);

/** What the reports domain queues for staff groups (see StaffAlertPayload). */
export const staffAlert = z.object({
  reference: z.string(),
  category: bilingual,
  clause: z.object({ ref: z.string(), text: bilingual }),
  place: bilingual,
  position: z.object({ latitude: z.number(), longitude: z.number() }).nullable(),
  description: z.string(),
  shop: bilingual.nullable(),
  /** Alerts queued before shops' compact standing was shown have none. */
  shopStanding: z.enum(["current", "outdated", "none"]).nullable().optional(),
  photoIds: z.array(z.string()),
  supporters: z.number().int(),
  route: z.object({ kind: z.enum(["roadCommittee", "districtCommittee"]), code: z.string(), name: bilingual }).nullable(),
  locale,
});

/** A staff alert as the renderers read it. */
export type StaffAlert = z.infer<typeof staffAlert>;

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

/** The payload of `row` as `schema` reads it; throws {@link UnreadableOutboxRowError} saying what does not fit. */
export function parsePayload<T>(schema: z.ZodType<T>, row: { kind: string; payload: unknown }): T {
  const parsed = schema.safeParse(row.payload);
  if (!parsed.success)
    throw new UnreadableOutboxRowError(
      row.kind,
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "),
    );
  return parsed.data;
}
