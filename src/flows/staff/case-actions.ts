import type { ReportStatusName } from "../../domain/reports/service.ts";
import { ENGINE_CHOICES } from "../kit/menu.ts";

/** What staff can do to a case from an alert's buttons or from /case. */
export const CASE_ACTIONS = ["claim", "progress", "resolve", "reject"] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

/**
 * The button value for an action on a case: it starts the case flow with
 * `<action>:<reference>`, whichever chat the button is pressed in (a group
 * alert, a private /case answer), so one flow checks who may act.
 */
export function caseActionChoice(action: CaseAction, reference: string): string {
  return `${ENGINE_CHOICES.flowPrefix}case:${action}:${reference}`;
}

/** The actions that make sense in each status; the reports domain enforces the same transitions. */
const ACTIONS_BY_STATUS: Record<ReportStatusName, readonly CaseAction[]> = {
  SUBMITTED: ["claim", "reject"],
  ACKNOWLEDGED: ["progress", "resolve", "reject"],
  IN_PROGRESS: ["resolve", "reject"],
  RESOLVED: [],
  REJECTED: [],
};

/** The buttons a case offers in a status: none once it is closed. */
export function actionsFor(status: ReportStatusName): readonly CaseAction[] {
  return ACTIONS_BY_STATUS[status];
}
