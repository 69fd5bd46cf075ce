import { z } from "zod";
import type { CheckInResult, RosterEntry } from "../../domain/classes/classes.ts";
import { localTimeToInstant } from "../../domain/time/zone.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import { startFlowChoice } from "../kit/menu.ts";
import type { ChoiceOption } from "../kit/messages.ts";
import { townTime } from "../report/view.ts";

const stateSchema = z.discriminatedUnion("stage", [
  z.object({ stage: z.literal("pickSession"), cohortCode: z.string() }),
  z.object({ stage: z.literal("checkIn"), cohortCode: z.string(), sessionIndex: z.number().int() }),
  z.object({ stage: z.literal("broadcast"), cohortCode: z.string() }),
  z.object({ stage: z.literal("capacity"), cohortCode: z.string(), seated: z.number().int() }),
  z.object({ stage: z.literal("moveSession"), cohortCode: z.string() }),
  z.object({ stage: z.literal("moveTime"), cohortCode: z.string(), sessionIndex: z.number().int() }),
  z.object({
    stage: z.literal("movePlace"),
    cohortCode: z.string(),
    sessionIndex: z.number().int(),
    startsAt: z.number(),
    endsAt: z.number(),
  }),
]);
type AcademyState = z.infer<typeof stateSchema>;

const COHORT_PREFIX = "cohort:";
const ACTION_PREFIX = "do:";
const END_CHECK_IN = "checkin:end";
const UNCHANGED = "unchanged";

function say(text: string): Step<never> {
  return { type: "done", replies: [{ type: "text", text }] };
}

function ask(state: AcademyState, text: string, options?: ChoiceOption[]): Step<AcademyState> {
  return { type: "continue", state, replies: [options ? { type: "choices", text, options } : { type: "text", text }] };
}

const choice = (action: string, cohortCode: string) => `${startFlowChoice("academy")}:${ACTION_PREFIX}${action}:${cohortCode}`;

function rosterLine(entry: RosterEntry, index: number, context: FlowContext): string {
  const a = context.t.academy;
  const status = entry.status === "SEATED" ? a.seated : a.waitlisted(entry.waitlistPosition ?? 0);
  return a.rosterLine(
    index,
    entry.name,
    entry.mobile,
    entry.neighbourhood?.[context.locale] ?? entry.neighbourhoodCode,
    status,
    entry.attended,
  );
}

/** The cohort's roster (seated, then the waiting list) with what staff can do next. */
async function showRoster(cohortCode: string, context: FlowContext): Promise<Step<AcademyState>> {
  const { t, user, locale } = context;
  const result = await context.services.classes.roster(user, cohortCode);
  if (result.type === "notAllowed") return say(t.academy.staffOnly);
  if (result.type === "unknownCohort") return say(t.academy.unknownCohort(cohortCode));
  const { cohort } = result;
  const live = result.entries.filter((entry) => entry.status !== "CANCELLED");
  const lines = [
    t.academy.rosterTitle(`${cohort.course[locale]} · ${cohort.title[locale]}`, cohort.seated, cohort.capacity, cohort.waitlistLength),
    ...live.map((entry, i) => rosterLine(entry, i + 1, context)),
  ];
  return {
    type: "done",
    replies: [
      {
        type: "choices",
        text: lines.join("\n"),
        options: [
          { label: t.academy.checkIn, value: choice("checkin", cohort.code) },
          { label: t.academy.broadcast, value: choice("broadcast", cohort.code) },
          { label: t.academy.capacity, value: choice("capacity", cohort.code) },
          { label: t.academy.exportCsv, value: choice("csv", cohort.code) },
          { label: t.academy.moveSession, value: choice("move", cohort.code) },
        ],
      },
    ],
  };
}

async function startAction(action: string, cohortCode: string, context: FlowContext): Promise<Step<AcademyState>> {
  const { t, locale, services } = context;
  const cohort = await services.classes.cohort(cohortCode);
  if (!cohort) return say(t.academy.unknownCohort(cohortCode));
  if (action === "checkin" || action === "move") {
    return ask(
      action === "checkin" ? { stage: "pickSession", cohortCode } : { stage: "moveSession", cohortCode },
      action === "checkin" ? t.academy.pickSession : t.academy.pickSessionToMove,
      cohort.sessions.map((s) => ({
        label: t.academy.sessionButton(s.index, townTime(s.startsAt, locale, context.services.timeZone)),
        value: `session:${s.index}`,
      })),
    );
  }
  if (action === "broadcast") return ask({ stage: "broadcast", cohortCode }, t.academy.askBroadcast);
  if (action === "csv") return exportCsv(cohortCode, `${cohort.course[locale]} · ${cohort.title[locale]}`, context);
  return ask({ stage: "capacity", cohortCode, seated: cohort.seated }, t.academy.askCapacity(cohort.seated));
}

async function exportCsv(cohortCode: string, title: string, context: FlowContext): Promise<Step<AcademyState>> {
  const { t, user, services } = context;
  const result = await services.classes.rosterCsv(user, cohortCode);
  if (result.type === "notAllowed") return say(t.academy.staffOnly);
  if (result.type === "unknownCohort") return say(t.academy.unknownCohort(cohortCode));
  return {
    type: "done",
    replies: [
      {
        type: "document",
        fileName: result.fileName,
        mimeType: "text/csv",
        contentBase64: result.content.toString("base64"),
        caption: t.academy.csvCaption(title),
      },
    ],
  };
}

/** "2027-03-13 14:00-16:30" in the town's zone `timeZone` as two instants; undefined for a date or time that does not exist. */
function parseSessionTime(text: string, timeZone: string): { startsAt: number; endsAt: number } | undefined {
  const match = /^(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2})[:：](\d{2})\s*[-–~至到]\s*(\d{1,2})[:：](\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const [year, month, day, startHour, startMinute, endHour, endMinute] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const startsAt = localTimeToInstant(timeZone, { year, month, day, hour: startHour, minute: startMinute });
  const endsAt = localTimeToInstant(timeZone, { year, month, day, hour: endHour, minute: endMinute });
  return startsAt && endsAt ? { startsAt: startsAt.getTime(), endsAt: endsAt.getTime() } : undefined;
}

async function moveSession(
  state: Extract<AcademyState, { stage: "movePlace" }>,
  place: string | undefined,
  context: FlowContext,
): Promise<Step<AcademyState>> {
  const { t, user, services } = context;
  const cohort = await services.classes.cohort(state.cohortCode);
  const session = cohort?.sessions.find((s) => s.index === state.sessionIndex);
  if (!session) return say(t.academy.unknownCohort(state.cohortCode));
  const result = await services.classes.updateSession(user, state.cohortCode, state.sessionIndex, {
    startsAt: new Date(state.startsAt),
    endsAt: new Date(state.endsAt),
    place: place === undefined ? session.place : { zh: place, en: place },
  });
  const retime = { stage: "moveTime" as const, cohortCode: state.cohortCode, sessionIndex: state.sessionIndex };
  switch (result.type) {
    case "updated":
      return say(t.academy.sessionMoved(state.sessionIndex, result.notified));
    case "invalidTime":
      return ask(retime, t.academy.invalidTime);
    case "overlaps":
      return ask(retime, t.academy.overlaps);
    case "alreadyHeld":
      return say(t.academy.alreadyHeld);
    case "unknownSession":
      return say(t.academy.unknownCohort(state.cohortCode));
    case "notAllowed":
      return say(t.academy.staffOnly);
  }
}

function checkInAnswer(
  result: CheckInResult,
  state: Extract<AcademyState, { stage: "checkIn" }>,
  context: FlowContext,
): Step<AcademyState> {
  const a = context.t.academy;
  const end = [{ label: a.endCheckIn, value: END_CHECK_IN }];
  switch (result.type) {
    case "checkedIn":
      return ask(state, a.checkedIn(result.name, result.attended, result.sessions, result.completed), end);
    case "alreadyCheckedIn":
      return ask(state, a.alreadyCheckedIn(result.name), end);
    case "wrongCode":
      return ask(state, a.wrongCode, end);
    case "unknownSession":
      return say(a.unknownCohort(state.cohortCode));
    case "notAllowed":
      return say(a.staffOnly);
  }
}

/**
 * /cohort <code> (academy staff and admins, private chat: the roster holds
 * mobile numbers): the roster, then check-in by code for a session (one code
 * after another until done), a message to everyone seated, a new number of
 * seats (never below those seated; raising it seats the waiting list), or the
 * roster as a CSV file that opens in Excel, or a session moved in time or
 * place (everyone seated is told). The
 * classes service checks the role on every call.
 */
export const academyFlow: Flow<AcademyState> = {
  id: "academy",
  version: 1,
  stateSchema,
  command: { name: "cohort", audience: "academyStaff" },

  async start(context, input) {
    const { t, user, services } = context;
    if (user.chatType !== "private") return say(t.staff.privateOnly);
    const me = await services.staff.find(user);
    if (me?.role !== "ACADEMY_STAFF" && me?.role !== "ADMIN") return say(me ? t.academy.staffOnly : t.staff.notStaff);
    if (input?.type === "text") return showRoster(input.text.trim(), context);
    if (input?.type === "choice" && input.value.startsWith(COHORT_PREFIX))
      return showRoster(input.value.slice(COHORT_PREFIX.length), context);
    if (input?.type === "choice" && input.value.startsWith(ACTION_PREFIX)) {
      const [action = "", ...code] = input.value.slice(ACTION_PREFIX.length).split(":");
      return startAction(action, code.join(":"), context);
    }
    const cohorts = (await services.classes.openCourses()).flatMap((course) => course.cohorts);
    return {
      type: "done",
      replies: [
        {
          type: "choices",
          text: t.academy.askCohort,
          options: cohorts.map((c) => ({
            label: `${c.course[context.locale]} · ${c.title[context.locale]}`,
            value: `${startFlowChoice("academy")}:${COHORT_PREFIX}${c.code}`,
          })),
        },
      ],
    };
  },

  async onEvent(state, event, context) {
    const { t, user, services } = context;
    const { payload } = event;
    const text = payload.type === "text" ? payload.text.trim() : undefined;
    switch (state.stage) {
      case "pickSession": {
        const index =
          payload.type === "choice" && payload.value.startsWith("session:") ? Number(payload.value.slice("session:".length)) : NaN;
        if (!Number.isInteger(index)) return startAction("checkin", state.cohortCode, context);
        return ask({ stage: "checkIn", cohortCode: state.cohortCode, sessionIndex: index }, t.academy.askCode(index), [
          { label: t.academy.endCheckIn, value: END_CHECK_IN },
        ]);
      }
      case "moveSession": {
        const index =
          payload.type === "choice" && payload.value.startsWith("session:") ? Number(payload.value.slice("session:".length)) : NaN;
        const session = (await services.classes.cohort(state.cohortCode))?.sessions.find((s) => s.index === index);
        if (!session) return startAction("move", state.cohortCode, context);
        return ask(
          { stage: "moveTime", cohortCode: state.cohortCode, sessionIndex: index },
          t.academy.askTime(townTime(session.startsAt, context.locale, context.services.timeZone)),
          [{ label: t.academy.unchanged, value: UNCHANGED }],
        );
      }
      case "moveTime": {
        const session = (await services.classes.cohort(state.cohortCode))?.sessions.find((s) => s.index === state.sessionIndex);
        if (!session) return say(t.academy.unknownCohort(state.cohortCode));
        const time =
          payload.type === "choice" && payload.value === UNCHANGED
            ? { startsAt: session.startsAt.getTime(), endsAt: session.endsAt.getTime() }
            : text
              ? parseSessionTime(text, context.services.timeZone)
              : undefined;
        if (!time) return ask(state, t.academy.timeInvalid, [{ label: t.academy.unchanged, value: UNCHANGED }]);
        return ask({ ...state, stage: "movePlace", ...time }, t.academy.askPlace(session.place[context.locale]), [
          { label: t.academy.unchanged, value: UNCHANGED },
        ]);
      }
      case "movePlace":
        if (payload.type === "choice" && payload.value === UNCHANGED) return moveSession(state, undefined, context);
        return text
          ? moveSession(state, text, context)
          : ask(state, t.academy.askPlace(""), [{ label: t.academy.unchanged, value: UNCHANGED }]);
      case "checkIn":
        if (payload.type === "choice" && payload.value === END_CHECK_IN) return say(t.academy.checkInDone);
        if (!text) return ask(state, t.academy.askCode(state.sessionIndex));
        return checkInAnswer(
          await services.classes.checkIn(user, { cohortCode: state.cohortCode, sessionIndex: state.sessionIndex }, text),
          state,
          context,
        );
      case "broadcast": {
        if (!text) return ask(state, t.academy.broadcastEmpty);
        const result = await services.classes.broadcast(user, state.cohortCode, text);
        if (result.type === "queued") return say(t.academy.broadcastQueued(result.recipients));
        if (result.type === "emptyText") return ask(state, t.academy.broadcastEmpty);
        return say(result.type === "notAllowed" ? t.academy.staffOnly : t.academy.unknownCohort(state.cohortCode));
      }
      case "capacity": {
        const capacity = text && /^\d{1,4}$/.test(text) ? Number(text) : NaN;
        if (!(capacity >= 1)) return ask(state, t.academy.capacityInvalid);
        const result = await services.classes.setCapacity(user, state.cohortCode, capacity);
        switch (result.type) {
          case "updated":
            return say(t.academy.capacityUpdated(result.capacity, result.promoted));
          case "belowSeated":
            return ask({ ...state, seated: result.seated }, t.academy.belowSeated(result.seated));
          case "invalidCapacity":
            return ask(state, t.academy.capacityInvalid);
          case "notAllowed":
            return say(t.academy.staffOnly);
          case "unknownCohort":
            return say(t.academy.unknownCohort(state.cohortCode));
        }
      }
    }
  },
};
