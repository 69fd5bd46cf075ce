import type { z } from "zod";
import { catalogFor } from "../../flows/i18n/catalog.ts";
import type { OutboundMessage } from "../../flows/kit/messages.ts";
import { actionsFor, caseActionChoice } from "../../flows/staff/case-actions.ts";
import { caseFactLines } from "../../flows/staff/case-text.ts";
import type { reportStatus, StaffAlert } from "./payload.ts";

/**
 * A staff alert: the case as the group needs it to act, with a map link when
 * the resident shared a position, action buttons for the current status, and
 * then the photos. `heading` replaces the "new report" title (escalations,
 * reminders); `state` adds the current status and who set it.
 */
export function renderStaffAlert(alert: StaffAlert, options: { heading?: string; state?: AlertState } = {}): OutboundMessage[] {
  const a = catalogFor(alert.locale).alerts;
  return [
    alertMessage(alert, options),
    ...alert.photoIds.map(
      (mediaId, index): OutboundMessage => ({
        type: "photo",
        mediaId,
        caption: a.photoCaption(alert.reference, index + 1, alert.photoIds.length),
      }),
    ),
  ];
}

/** The status a case is in and who put it there, shown on alerts after staff acted. */
interface AlertState {
  status: z.infer<typeof reportStatus>;
  actorLabel: string | null;
}

/** The alert's text with the buttons that apply in its status. */
export function alertMessage(
  alert: StaffAlert,
  options: { heading?: string; state?: AlertState },
): Extract<OutboundMessage, { type: "choices" }> {
  const { locale } = alert;
  const t = catalogFor(locale);
  const a = t.alerts;
  const lines = [
    options.heading ?? a.title(alert.reference, alert.category[locale]),
    ...(options.heading ? [a.case(alert.reference, alert.category[locale])] : []),
    ...caseFactLines({ ...alert, photoCount: alert.photoIds.length }, t, locale),
  ];
  if (options.state) lines.push(a.state(t.report.status[options.state.status], options.state.actorLabel));
  const actions = actionsFor(options.state?.status ?? "SUBMITTED");
  return {
    type: "choices",
    text: lines.join("\n"),
    options: actions.map((action) => ({ label: a.actions[action], value: caseActionChoice(action, alert.reference) })),
  };
}
