import type { FlowRegistry } from "./kit/engine.ts";
import { academyFlow } from "./classes/academy-flow.ts";
import { classesFlow, talentFlow } from "./classes/classes-flow.ts";
import { myClassesFlow } from "./classes/my-classes-flow.ts";
import { talentSearchFlow } from "./classes/talent-search-flow.ts";
import { feedbackFlow } from "./feedback/feedback-flow.ts";
import { freeTextFlow } from "./freetext/free-text-flow.ts";
import { lookupFlow } from "./lookup/lookup-flow.ts";
import { compactFlow } from "./merchant/compact-flow.ts";
import { merchantsFlow } from "./merchant/merchants-flow.ts";
import { shopFlow } from "./merchant/shop-flow.ts";
import { myReportsFlow } from "./myreports/my-reports-flow.ts";
import { reportFlow } from "./report/report-flow.ts";
import { shopReportsFlow } from "./shop-reports/shop-reports-flow.ts";
import { caseFlow } from "./staff/case-flow.ts";
import { deadLettersFlow } from "./staff/dead-letters-flow.ts";
import { groupAlertsFlow } from "./staff/group-alerts-flow.ts";
import { inviteFlow } from "./staff/invite-flow.ts";
import { joinStaffFlow } from "./staff/join-flow.ts";
import { openCasesFlow } from "./staff/open-cases-flow.ts";
import { staffFlow } from "./staff/staff-flow.ts";
import { webSignInFlow } from "./staff/web-sign-in-flow.ts";

/** Every flow Linli runs; the composition root and the conversation tests use this one list. */
export const FLOWS: FlowRegistry = {
  lookup: lookupFlow,
  report: reportFlow,
  myReports: myReportsFlow,
  feedback: feedbackFlow,
  joinStaff: joinStaffFlow,
  invite: inviteFlow,
  staff: staffFlow,
  openCases: openCasesFlow,
  case: caseFlow,
  deadLetters: deadLettersFlow,
  webSignIn: webSignInFlow,
  groupAlerts: groupAlertsFlow,
  classes: classesFlow,
  myClasses: myClassesFlow,
  academy: academyFlow,
  talent: talentFlow,
  talentSearch: talentSearchFlow,
  shop: shopFlow,
  compact: compactFlow,
  merchants: merchantsFlow,
  shopReports: shopReportsFlow,
  freeText: freeTextFlow,
};
