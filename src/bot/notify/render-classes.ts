import { z } from "zod";
import { CLASS_BROADCAST_KIND, CLASS_CHANGED_KIND, CLASS_PROMOTED_KIND, CLASS_REMINDER_KIND } from "../../domain/classes/seats.ts";
import { catalogFor } from "../../flows/i18n/catalog.ts";
import type { OutboundMessage } from "../../flows/kit/messages.ts";
import { townTime } from "../../flows/report/view.ts";
import { bilingual, locale, parsePayload, UnreadableOutboxRowError } from "./payload.ts";

/** Outbox kinds the classes domain queues for residents; renderOutboxRow hands them over. */
export const CLASS_KINDS: readonly string[] = [CLASS_PROMOTED_KIND, CLASS_REMINDER_KIND, CLASS_CHANGED_KIND, CLASS_BROADCAST_KIND];

const promoted = z.object({
  cohortCode: z.string(),
  course: bilingual,
  cohort: bilingual,
  checkInCode: z.string(),
  nextSessionStartsAt: z.string().nullable(),
  nextSessionPlace: bilingual.nullable(),
  locale,
});

const reminder = z.object({
  cohortCode: z.string(),
  course: bilingual,
  cohort: bilingual,
  sessionIndex: z.number().int(),
  startsAt: z.string(),
  endsAt: z.string(),
  place: bilingual,
  topic: bilingual,
  locale,
});

const broadcast = z.object({ cohortCode: z.string(), course: bilingual, cohort: bilingual, text: z.string(), from: z.string(), locale });

/** A resident's message about their class, in their language, its times in the town's zone `timeZone`. */
export function renderClassRow(row: { kind: string; payload: unknown }, timeZone: string): OutboundMessage[] {
  if (row.kind === CLASS_PROMOTED_KIND) {
    const p = parsePayload(promoted, row);
    const c = catalogFor(p.locale).classes;
    const lines = [c.promoted(`${p.course[p.locale]} · ${p.cohort[p.locale]}`, p.checkInCode)];
    if (p.nextSessionStartsAt && p.nextSessionPlace)
      lines.push(c.nextSession(townTime(new Date(p.nextSessionStartsAt), p.locale, timeZone), p.nextSessionPlace[p.locale]));
    return [{ type: "text", text: lines.join("\n") }];
  }
  if (row.kind === CLASS_REMINDER_KIND || row.kind === CLASS_CHANGED_KIND) {
    const p = parsePayload(reminder, row);
    const c = catalogFor(p.locale).classes;
    const say = row.kind === CLASS_REMINDER_KIND ? c.reminder : c.sessionChanged;
    return [
      {
        type: "text",
        text: say(
          `${p.course[p.locale]} · ${p.cohort[p.locale]}`,
          p.sessionIndex,
          p.topic[p.locale],
          townTime(new Date(p.startsAt), p.locale, timeZone),
          p.place[p.locale],
        ),
      },
    ];
  }
  if (row.kind === CLASS_BROADCAST_KIND) {
    const p = parsePayload(broadcast, row);
    const c = catalogFor(p.locale).classes;
    return [{ type: "text", text: c.broadcast(`${p.course[p.locale]} · ${p.cohort[p.locale]}`, p.from, p.text) }];
  }
  throw new UnreadableOutboxRowError(row.kind, "not a class message kind");
}
