import { z } from "zod";
import { normalizeMobile, type CohortInfo, type CohortView, type EnrolResult } from "../../domain/classes/classes.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import { startFlowChoice } from "../kit/menu.ts";
import type { ChoiceOption, InboundEvent, OutboundMessage } from "../kit/messages.ts";
import { understand } from "../kit/understand.ts";
import { townTime } from "../report/view.ts";
import { townName } from "../kit/town-words.ts";

const MAX_NAME_CHARS = 30;
/** Neighbourhoods offered as buttons when a typed name is not found or ambiguous. */
const MAX_NEIGHBOURHOOD_CHOICES = 6;

/** One state for two purposes: a cohort sign-up (`cohortCode`), or joining the talent pool alone (`cohortCode` null, then skills and availability are asked). */
const stateSchema = z.object({
  stage: z.enum(["privacy", "name", "mobile", "neighbourhood", "skills", "availability"]),
  cohortCode: z.string().nullable(),
  name: z.string().optional(),
  /** Words typed for the name that read as a question: sent again, they are the name after all. */
  questioned: z.string().optional(),
  mobile: z.string().optional(),
  neighbourhoodCode: z.string().optional(),
  skills: z.array(z.string()).optional(),
});
type ClassesState = z.infer<typeof stateSchema>;

const COHORT_PREFIX = "cohort:";
const SIGN_UP_PREFIX = "signup:";
const NEIGHBOURHOOD_PREFIX = "nb:";

function say(text: string): Step<never> {
  return { type: "done", replies: [{ type: "text", text }] };
}

function ask(state: ClassesState, text: string, options?: ChoiceOption[]): Step<ClassesState> {
  const reply: OutboundMessage = options ? { type: "choices", text, options } : { type: "text", text };
  return { type: "continue", state, replies: [reply] };
}

function titleOf(cohort: Pick<CohortInfo, "course" | "title">, context: FlowContext): string {
  return `${cohort.course[context.locale]} · ${cohort.title[context.locale]}`;
}

function availability(cohort: CohortView, context: FlowContext): string {
  const c = context.t.classes;
  if (cohort.enrolment === "notOpenYet") return c.opensAt(townTime(cohort.enrolmentOpensAt, context.locale, context.services.timeZone));
  if (cohort.enrolment === "closed") return c.closedLabel;
  return cohort.seatsLeft > 0 ? c.seatsLeft(cohort.seatsLeft) : c.waitlist(cohort.waitlistLength);
}

async function list(context: FlowContext): Promise<Step<ClassesState>> {
  const { t } = context;
  const cohorts = (await context.services.classes.openCourses()).flatMap((course) => course.cohorts);
  if (cohorts.length === 0) return say(t.classes.none);
  return {
    type: "done",
    replies: [
      {
        type: "choices",
        text: t.classes.listTitle(townName(context)),
        options: cohorts.map((cohort) => ({
          label: t.classes.cohortLine(titleOf(cohort, context), availability(cohort, context)),
          value: `${startFlowChoice("classes")}:${COHORT_PREFIX}${cohort.code}`,
        })),
      },
    ],
  };
}

async function details(cohortCode: string, context: FlowContext): Promise<Step<ClassesState>> {
  const { t, locale } = context;
  const c = t.classes;
  const cohort = await context.services.classes.cohort(cohortCode);
  if (!cohort) return say(c.unknownCohort);
  const lines = [
    titleOf(cohort, context),
    c.detailPlace(cohort.location[locale]),
    c.detailSeats(cohort.capacity, cohort.seated, cohort.waitlistLength),
    c.detailWindow(
      townTime(cohort.enrolmentOpensAt, locale, context.services.timeZone),
      townTime(cohort.enrolmentClosesAt, locale, context.services.timeZone),
    ),
    c.detailEligibility(cohort.eligibility[locale]),
    "",
    c.detailSessions,
    ...sessionLines(cohort, context),
  ];
  const options: ChoiceOption[] = [{ label: c.back, value: startFlowChoice("classes") }];
  if (cohort.enrolment === "open")
    options.unshift({ label: c.signUp, value: `${startFlowChoice("classes")}:${SIGN_UP_PREFIX}${cohort.code}` });
  return { type: "done", replies: [{ type: "choices", text: lines.join("\n"), options }] };
}

function sessionLines(cohort: CohortView, context: FlowContext): string[] {
  const { locale } = context;
  return cohort.sessions.map((s) =>
    context.t.classes.sessionLine(
      s.index,
      townTime(s.startsAt, locale, context.services.timeZone),
      s.topic[locale],
      s.lecturerRole[locale],
      s.place[locale],
    ),
  );
}

/** Sign-up starts only while enrolment is open, so nobody types their details for a closed class. */
async function startSignUp(cohortCode: string, context: FlowContext): Promise<Step<ClassesState>> {
  const c = context.t.classes;
  const cohort = await context.services.classes.cohortInfo(cohortCode);
  if (!cohort) return say(c.unknownCohort);
  if (cohort.enrolment === "notOpenYet")
    return say(c.notOpenYet(townTime(cohort.enrolmentOpensAt, context.locale, context.services.timeZone)));
  if (cohort.enrolment === "closed") return say(c.closed);
  return privacyNotice(cohortCode, context);
}

function privacyNotice(cohortCode: string | null, context: FlowContext): Step<ClassesState> {
  const c = context.t.classes;
  return ask({ stage: "privacy", cohortCode }, cohortCode === null ? c.talentPrivacy : c.privacy, [
    { label: c.accept, value: "privacy:yes" },
    { label: c.decline, value: "privacy:no" },
  ]);
}

/** The resident's answer to the enrolment, whatever it is. */
function enrolAnswer(result: EnrolResult, title: string, context: FlowContext): Step<ClassesState> {
  const c = context.t.classes;
  switch (result.type) {
    case "seated":
      return say(c.seated(title, result.checkInCode));
    case "waitlisted":
      return say(c.waitlisted(title, result.position));
    case "alreadyEnrolled":
      return say(c.alreadyEnrolled(title, result.status === "WAITLISTED" ? result.position : null));
    case "notOpenYet":
      return say(c.notOpenYet(townTime(result.opensAt, context.locale, context.services.timeZone)));
    case "enrolmentClosed":
      return say(c.closed);
    case "notEligible":
      return say(c.notEligible);
    case "unknownCohort":
      return say(c.unknownCohort);
    // The flow checked these before asking the next question; a change in between (a re-import) still gets a clear answer.
    case "privacyNotAccepted":
      return say(c.declined);
    case "invalidName":
      return say(c.nameInvalid);
    case "invalidMobile":
      return say(c.mobileInvalid);
    case "unknownNeighbourhood":
      return say(c.neighbourhoodUnknown);
  }
}

async function enrol(state: ClassesState, skills: string[], context: FlowContext): Promise<Step<ClassesState>> {
  const { user, locale, services } = context;
  if (state.cohortCode === null) return ask({ ...state, stage: "availability", skills }, context.t.classes.askAvailability);
  const cohort = await services.classes.cohortInfo(state.cohortCode);
  if (!cohort) return say(context.t.classes.unknownCohort);
  // Made-up identities from one place must not take every seat; the details typed so far are kept for a retry.
  if (context.origin !== undefined && !(await services.budgets.takeSignUp(context.origin)))
    return ask(state, context.t.classes.signUpsFromHereUsedUp, [{ label: context.t.classes.skip, value: "skills:none" }]);
  const result = await services.classes.enrol(
    state.cohortCode,
    { ...user, locale },
    {
      name: state.name ?? "",
      mobile: state.mobile ?? "",
      neighbourhoodCode: state.neighbourhoodCode ?? "",
      skills,
      privacyAccepted: true,
    },
  );
  return enrolAnswer(result, titleOf(cohort, context), context);
}

/** Matches typed text to one neighbourhood of the grid, or offers the close ones. */
function neighbourhoodStep(state: ClassesState, text: string, context: FlowContext): Step<ClassesState> {
  const c = context.t.classes;
  const { index } = context.services.grid;
  const result = index.lookup(text);
  if (result.type === "found" && result.answer.neighbourhood)
    return askSkills({ ...state, stage: "skills", neighbourhoodCode: result.answer.neighbourhood.code }, context);
  const candidates = result.type === "ambiguous" ? result.candidates : result.type === "notFound" ? result.suggestions : [];
  const options = candidates
    .filter((candidate) => candidate.id.startsWith("n:"))
    .slice(0, MAX_NEIGHBOURHOOD_CHOICES)
    .map((candidate) => ({ label: candidate.label[context.locale], value: `${NEIGHBOURHOOD_PREFIX}${candidate.id.slice(2)}` }));
  return ask(state, result.type === "ambiguous" ? c.neighbourhoodPick : c.neighbourhoodUnknown, options.length > 0 ? options : undefined);
}

function askSkills(state: ClassesState, context: FlowContext): Step<ClassesState> {
  // The talent pool is made of skills, so there they cannot be skipped.
  if (state.cohortCode === null) return ask(state, context.t.classes.askTalentSkills);
  return ask(state, context.t.classes.askSkills, [{ label: context.t.classes.skip, value: "skills:none" }]);
}

async function registerTalent(state: ClassesState, availability: string, context: FlowContext): Promise<Step<ClassesState>> {
  const c = context.t.classes;
  const result = await context.services.classes.registerTalent(
    { ...context.user, locale: context.locale },
    {
      name: state.name ?? "",
      mobile: state.mobile ?? "",
      neighbourhoodCode: state.neighbourhoodCode ?? "",
      skills: state.skills ?? [],
      availability,
      privacyAccepted: true,
    },
  );
  switch (result.type) {
    case "registered":
      return say(c.talentRegistered);
    case "updated":
      return say(c.talentUpdated);
    case "noSkills":
      return ask({ ...state, stage: "skills" }, c.askTalentSkills);
    case "privacyNotAccepted":
      return say(c.declined);
    case "invalidName":
      return say(c.nameInvalid);
    case "invalidMobile":
      return say(c.mobileInvalid);
    case "unknownNeighbourhood":
      return say(c.neighbourhoodUnknown);
  }
}

/**
 * A question typed where the name was asked ("这个课在哪里上？"): answered with
 * where and when the class meets, then the name asked again.
 */
async function notAName(state: ClassesState, context: FlowContext): Promise<Step<ClassesState>> {
  const { t, locale } = context;
  const c = t.classes;
  const cohort = state.cohortCode === null ? undefined : await context.services.classes.cohort(state.cohortCode);
  const answer = cohort ? [titleOf(cohort, context), c.detailPlace(cohort.location[locale]), ...sessionLines(cohort, context)] : [];
  return ask(state, [c.notAName, ...answer, c.nameAgain].join("\n"));
}

/** The steps after the notice, shared by the class sign-up and the talent pool. */
async function signUpStep(state: ClassesState, event: InboundEvent, context: FlowContext): Promise<Step<ClassesState>> {
  const c = context.t.classes;
  const { payload } = event;
  const text = payload.type === "text" ? payload.text.trim() : undefined;
  switch (state.stage) {
    case "privacy":
      if (payload.type === "choice" && payload.value === "privacy:yes") return ask({ ...state, stage: "name" }, c.askName);
      if (payload.type === "choice" && payload.value === "privacy:no") return say(c.declined);
      return privacyNotice(state.cohortCode, context);
    case "name":
      if (!text || [...text].length > MAX_NAME_CHARS) return ask(state, text === undefined ? c.askName : c.nameInvalid);
      if (text !== state.questioned && understand(text, context).intent !== undefined)
        return notAName({ ...state, questioned: text }, context);
      return ask({ ...state, stage: "mobile", name: text, questioned: undefined }, c.askMobile);
    case "mobile": {
      const mobile = text === undefined ? undefined : normalizeMobile(text);
      if (!mobile) return ask(state, text === undefined ? c.askMobile : c.mobileInvalid);
      return ask({ ...state, stage: "neighbourhood", mobile }, c.askNeighbourhood);
    }
    case "neighbourhood":
      if (payload.type === "choice" && payload.value.startsWith(NEIGHBOURHOOD_PREFIX)) {
        const code = payload.value.slice(NEIGHBOURHOOD_PREFIX.length);
        if (context.services.grid.index.neighbourhood(code))
          return askSkills({ ...state, stage: "skills", neighbourhoodCode: code }, context);
      }
      return text ? neighbourhoodStep(state, text, context) : ask(state, c.askNeighbourhood);
    case "skills": {
      if (payload.type === "choice" && payload.value === "skills:none" && state.cohortCode !== null) return enrol(state, [], context);
      const skills = (text ?? "").split(/[,，、;；\s]+/).filter((skill) => skill !== "");
      return skills.length > 0 ? enrol(state, skills, context) : askSkills(state, context);
    }
    case "availability":
      return text ? registerTalent(state, text, context) : ask(state, c.askAvailability);
  }
}

/**
 * /classes: the academy's cohorts open for sign-up with seats or waiting-list
 * length, a cohort's schedule, and sign-up: a personal-information notice the
 * resident accepts before anything is kept, then name, mobile (checked as a
 * mainland number), neighbourhood (matched against the grid) and optional
 * skills for the talent pool. The result is a seat or a waiting-list place.
 */
export const classesFlow: Flow<ClassesState> = {
  id: "classes",
  version: 1,
  stateSchema,
  command: { name: "classes", audience: "everyone" },

  async start(context, input) {
    if (input?.type === "choice" && input.value.startsWith(COHORT_PREFIX)) return details(input.value.slice(COHORT_PREFIX.length), context);
    if (input?.type === "choice" && input.value.startsWith(SIGN_UP_PREFIX))
      return startSignUp(input.value.slice(SIGN_UP_PREFIX.length), context);
    return list(context);
  },

  onEvent: signUpStep,
};

/**
 * /talent: a resident joins the community talent pool (资源库) without taking a
 * class: the same notice and questions as a sign-up, then skills (required)
 * and when they are available. Registering again updates the entry.
 */
export const talentFlow: Flow<ClassesState> = {
  id: "talent",
  version: 1,
  stateSchema,
  command: { name: "talent", audience: "everyone" },

  async start(context) {
    return privacyNotice(null, context);
  },

  onEvent: signUpStep,
};
