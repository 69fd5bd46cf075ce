import { z } from "zod";
import type { MyEnrolment } from "../../domain/classes/classes.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import { startFlowChoice } from "../kit/menu.ts";
import { townTime } from "../report/view.ts";

const stateSchema = z.object({ cohortCode: z.string(), title: z.string() });
type MyClassesState = z.infer<typeof stateSchema>;

const CANCEL_PREFIX = "cancel:";

function say(text: string): Step<never> {
  return { type: "done", replies: [{ type: "text", text }] };
}

function titleOf(enrolment: MyEnrolment, context: FlowContext): string {
  return `${enrolment.course[context.locale]} · ${enrolment.cohort[context.locale]}`;
}

function describe(enrolment: MyEnrolment, context: FlowContext): string {
  const c = context.t.classes;
  const title = titleOf(enrolment, context);
  const lines = [
    enrolment.status === "SEATED"
      ? c.mineSeated(title, enrolment.checkInCode ?? "", enrolment.attended, enrolment.sessions)
      : c.mineWaitlisted(title, enrolment.waitlistPosition ?? 0),
  ];
  if (enrolment.completed) lines.push(c.mineCompleted);
  if (enrolment.nextSession)
    lines.push(
      c.mineNext(
        townTime(enrolment.nextSession.startsAt, context.locale, context.services.timeZone),
        enrolment.nextSession.place[context.locale],
      ),
    );
  return lines.join("\n");
}

/**
 * /myclasses: the resident's classes (seat or waiting-list place, check-in
 * code, next session, attendance) with a button to give each up, confirmed
 * first because a freed seat goes to the next person at once.
 */
export const myClassesFlow: Flow<MyClassesState> = {
  id: "myClasses",
  version: 1,
  stateSchema,
  command: { name: "myclasses", audience: "everyone" },

  async start(context, input) {
    const { t, user, services } = context;
    const enrolments = await services.classes.myEnrolments(user);
    if (input?.type === "choice" && input.value.startsWith(CANCEL_PREFIX)) {
      const enrolment = enrolments.find((e) => e.cohortCode === input.value.slice(CANCEL_PREFIX.length));
      if (!enrolment) return say(t.classes.notEnrolled);
      const title = titleOf(enrolment, context);
      return {
        type: "continue",
        state: { cohortCode: enrolment.cohortCode, title },
        replies: [
          {
            type: "choices",
            text: t.classes.confirmCancel(title),
            options: [
              { label: t.classes.confirmYes, value: "yes" },
              { label: t.classes.confirmNo, value: "no" },
            ],
          },
        ],
      };
    }
    if (enrolments.length === 0) return say(t.classes.mineEmpty);
    return {
      type: "done",
      replies: [
        {
          type: "choices",
          text: [t.classes.mineTitle, ...enrolments.map((e) => describe(e, context))].join("\n\n"),
          options: enrolments.map((e) => ({
            label: t.classes.cancelButton(titleOf(e, context)),
            value: `${startFlowChoice("myClasses")}:${CANCEL_PREFIX}${e.cohortCode}`,
          })),
        },
      ],
    };
  },

  async onEvent(state, event, context) {
    const c = context.t.classes;
    if (event.payload.type !== "choice" || event.payload.value !== "yes") return say(c.kept);
    const result = await context.services.classes.cancel(state.cohortCode, context.user);
    switch (result.type) {
      case "cancelled":
        return say(c.cancelled);
      case "cancelAfterStart":
        return say(c.cancelAfterStart);
      case "notEnrolled":
        return say(c.notEnrolled);
      case "unknownCohort":
        return say(c.unknownCohort);
    }
  },
};
