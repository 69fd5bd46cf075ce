import type { FlowRegistry } from "./kit/engine.ts";
import { feedbackFlow } from "./feedback/feedback-flow.ts";
import { lookupFlow } from "./lookup/lookup-flow.ts";
import { myReportsFlow } from "./myreports/my-reports-flow.ts";
import { reportFlow } from "./report/report-flow.ts";

/** Every flow Linli runs; the composition root and the conversation tests use this one list. */
export const FLOWS: FlowRegistry = {
  lookup: lookupFlow,
  report: reportFlow,
  myReports: myReportsFlow,
  feedback: feedbackFlow,
};
