import type { FlowId, FlowServices } from "./flow.ts";

/**
 * Which flow free text starts when nothing is in progress. Text that names a
 * kind of street problem ("永德路12号门口又在占道摆摊") starts a report with it;
 * anything else is most often a question about a place.
 */
export async function flowForFreeText(text: string, services: FlowServices): Promise<FlowId> {
  return (await services.reports.suggestCategory(text)) ? "report" : "lookup";
}
