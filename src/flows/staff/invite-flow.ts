import { z } from "zod";
import type { StaffGrant } from "../../domain/staff/registry.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import type { ChoiceOption, OutboundMessage } from "../kit/messages.ts";
import { areaNames, areaOptions, toggleArea } from "./area-picker.ts";
import { finish } from "./common.ts";
import { STAFF_DEEP_LINK_PREFIX } from "./join-flow.ts";

const ROLES = ["DISTRICT_STAFF", "ADMIN", "ACADEMY_STAFF"] as const satisfies readonly StaffGrant["role"][];
/** How long an invitation works; long enough to reach someone over a weekend. */
const INVITE_VALID_HOURS = 72;

const stateSchema = z.discriminatedUnion("stage", [
  z.object({ stage: z.literal("role") }),
  z.object({ stage: z.literal("area"), districtCodes: z.array(z.string()), roadCommitteeCodes: z.array(z.string()) }),
  z.object({ stage: z.literal("label"), role: z.enum(ROLES), districtCodes: z.array(z.string()), roadCommitteeCodes: z.array(z.string()) }),
]);
type InviteState = z.infer<typeof stateSchema>;
type AreaState = Extract<InviteState, { stage: "area" }>;

const AREA_DONE = "area:done";

function askRole(context: FlowContext): Step<InviteState> {
  const { t } = context;
  return {
    type: "continue",
    state: { stage: "role" },
    replies: [
      {
        type: "choices",
        text: t.staff.invite.askRole,
        options: ROLES.map((role) => ({ label: t.staff.roles[role], value: `role:${role}` })),
      },
    ],
  };
}

/** The area picker: every district and road committee, a tick on the chosen ones; pressing toggles. */
function askArea(state: AreaState, context: FlowContext, notice?: string): Step<InviteState> {
  const { t } = context;
  const options: ChoiceOption[] = [...areaOptions(state, context), { label: t.staff.invite.areaDone, value: AREA_DONE }];
  const replies: OutboundMessage[] = notice ? [{ type: "text", text: notice }] : [];
  replies.push({ type: "choices", text: t.staff.invite.askArea(areaNames(state, context).join("、")), options });
  return { type: "continue", state, replies };
}

function suggestedLabel(state: Extract<InviteState, { stage: "label" }>, context: FlowContext): string {
  const role = context.t.staff.roles[state.role];
  const areas = areaNames(state, context);
  return areas.length === 1 ? (context.locale === "zh" ? `${areas[0]}${role}` : `${areas[0]} ${role}`) : role;
}

function askLabel(state: Extract<InviteState, { stage: "label" }>, context: FlowContext): Step<InviteState> {
  const suggestion = suggestedLabel(state, context);
  return {
    type: "continue",
    state,
    replies: [
      {
        type: "choices",
        text: context.t.staff.invite.askLabel(suggestion),
        options: [{ label: context.t.staff.invite.useSuggestion(suggestion), value: "label:suggested" }],
      },
    ],
  };
}

async function createInvite(
  state: Extract<InviteState, { stage: "label" }>,
  label: string,
  context: FlowContext,
): Promise<Step<InviteState>> {
  const { t, user, services } = context;
  const result = await services.staff.invite(
    { channel: user.channel, userId: user.userId, chatId: user.chatId },
    { role: state.role, label, districtCodes: state.districtCodes, roadCommitteeCodes: state.roadCommitteeCodes },
    INVITE_VALID_HOURS,
  );
  if (result.type === "notAllowed") return finish(t.staff.adminOnly);
  const lines = [t.staff.invite.created(result.code, label, t.staff.roles[state.role], INVITE_VALID_HOURS)];
  const link = services.links.telegram(`${STAFF_DEEP_LINK_PREFIX}${result.code}`);
  if (link) lines.push(t.staff.invite.link(link));
  return finish(lines.join("\n"));
}

/**
 * /invite (admins, private chat): role → the districts and road committees a
 * district staff member covers → the title residents will see → a one-time
 * code, and a Telegram link that redeems it in one tap.
 */
export const inviteFlow: Flow<InviteState> = {
  id: "invite",
  version: 1,
  stateSchema,
  command: { name: "invite", audience: "admins" },

  async start(context) {
    const { t, user, services } = context;
    if (user.chatType !== "private") return finish(t.staff.privateOnly);
    const me = await services.staff.find(user);
    if (me?.role !== "ADMIN") return finish(me ? t.staff.adminOnly : t.staff.notStaff);
    return askRole(context);
  },

  async onEvent(state, event, context) {
    const { payload } = event;
    const { t } = context;
    switch (state.stage) {
      case "role": {
        const role = payload.type === "choice" ? ROLES.find((r) => payload.value === `role:${r}`) : undefined;
        if (!role) return askRole(context);
        if (role === "DISTRICT_STAFF") return askArea({ stage: "area", districtCodes: [], roadCommitteeCodes: [] }, context);
        return askLabel({ stage: "label", role, districtCodes: [], roadCommitteeCodes: [] }, context);
      }
      case "area": {
        if (payload.type !== "choice") return askArea(state, context);
        if (payload.value === AREA_DONE) {
          if (state.districtCodes.length + state.roadCommitteeCodes.length === 0) return askArea(state, context, t.staff.invite.needArea);
          return askLabel(
            { stage: "label", role: "DISTRICT_STAFF", districtCodes: state.districtCodes, roadCommitteeCodes: state.roadCommitteeCodes },
            context,
          );
        }
        const toggled = toggleArea(state, payload.value, context);
        return askArea(toggled ? { ...state, ...toggled } : state, context);
      }
      case "label": {
        if (payload.type === "choice" && payload.value === "label:suggested")
          return createInvite(state, suggestedLabel(state, context), context);
        if (payload.type !== "text") return askLabel(state, context);
        const label = payload.text.trim();
        if ([...label].length < 2 || [...label].length > 30)
          return { type: "continue", state, replies: [{ type: "text", text: t.staff.invite.labelInvalid }] };
        return createInvite(state, label, context);
      }
    }
  },
};
