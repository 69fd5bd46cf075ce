import type { StaffActionResult } from "../../domain/reports/reports.ts";
import type { DeskRefusal } from "../../domain/staff/desk.ts";
import type { Catalog } from "../i18n/catalog.ts";
import type { Step } from "../kit/flow.ts";
import type { OutboundMessage } from "../kit/messages.ts";

/** Ends a staff flow with one message. */
export function finish(text: string): Step<never> {
  return { type: "done", replies: [{ type: "text", text }] };
}

/**
 * Ends a staff flow with a short acknowledgement: a pop-up on the pressed
 * button where the channel has one, so a staff group is not filled with
 * "done" messages (the alert itself shows the new status).
 */
export function finishWithNotice(text: string): Step<never> {
  return { type: "done", replies: [{ type: "notice", text }] };
}

/** What to tell staff about a refused or failed desk call; undefined for success. */
export function refusalText(
  result: StaffActionResult | DeskRefusal | { type: "notFound" },
  reference: string,
  t: Catalog,
): string | undefined {
  const s = t.staff;
  switch (result.type) {
    case "ok":
      return undefined;
    case "notStaff":
      return s.notStaff;
    case "notYourArea":
      return s.notYourArea;
    case "notFound":
      return s.case.notFound(reference);
    case "badTransition":
      return s.case.badTransition(reference, t.report.status[result.from]);
    case "conflict":
      return s.case.conflict(reference);
    case "noteRequired":
      return s.case.noteInvalid;
    case "unknownTarget":
      return s.case.unknownTarget;
  }
}

/** A free-text note staff write for residents: 5 to 1000 characters after trimming, else undefined. */
export function validNote(text: string): string | undefined {
  const note = text.trim();
  return note.length >= 5 && note.length <= 1000 ? note : undefined;
}

/** Staff commands that show residents' details only work in a private chat. */
export function privateOnly(t: Catalog): OutboundMessage[] {
  return [{ type: "text", text: t.staff.privateOnly }];
}
