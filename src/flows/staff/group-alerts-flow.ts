import { z } from "zod";
import type { AlertArea } from "../../domain/staff/desk.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import { areaNames, areaOptions, toggleArea } from "./area-picker.ts";
import { finish } from "./common.ts";
import { townName } from "../kit/town-words.ts";

const stateSchema = z.object({ districtCodes: z.array(z.string()), roadCommitteeCodes: z.array(z.string()), subscribed: z.boolean() });
type GroupAlertsState = z.infer<typeof stateSchema>;

const SAVE = "alerts:save";
const STOP = "alerts:stop";

function describeArea(area: AlertArea, context: FlowContext): string {
  const names = areaNames(area, context);
  return names.length > 0 ? names.join("、") : context.t.groupAlerts.wholeTown(townName(context));
}

function picker(state: GroupAlertsState, context: FlowContext): Step<GroupAlertsState> {
  const g = context.t.groupAlerts;
  const options = [
    ...areaOptions(state, context),
    { label: g.save, value: SAVE },
    ...(state.subscribed ? [{ label: g.stop, value: STOP }] : []),
  ];
  return {
    type: "continue",
    state,
    replies: [{ type: "choices", text: g.choose(areaNames(state, context).join("、"), townName(context)), options }],
  };
}

/** Every destination, for an admin in a private chat: where alerts go and who set that up. */
async function listDestinations(context: FlowContext): Promise<Step<GroupAlertsState>> {
  const { t, user, services } = context;
  const result = await services.desk.destinations(user);
  if (result.type === "notAllowed") return finish((await services.desk.whoIs(user)) ? t.staff.adminOnly : t.staff.notStaff);
  if (result.destinations.length === 0) return finish(t.groupAlerts.listEmpty);
  const lines = result.destinations.map((d) =>
    t.groupAlerts.listLine(d.name, d.channel, describeArea(d, context), d.escalation, d.managedInChat),
  );
  return finish([t.groupAlerts.listTitle(result.destinations.length), ...lines].join("\n"));
}

/**
 * /alerts: an admin subscribes the staff group they are in to the alerts of
 * chosen districts and road committees (none: the whole town), changes that,
 * or stops it; in a private chat it lists every alert group. Groups set up in
 * the town-data file are changed there, so an import stays the one truth for them.
 */
export const groupAlertsFlow: Flow<GroupAlertsState> = {
  id: "groupAlerts",
  version: 1,
  stateSchema,
  command: { name: "alerts", audience: "admins" },

  async start(context) {
    const { t, user, services } = context;
    if (user.chatType === "private") return listDestinations(context);
    const me = await services.staff.find(user);
    if (me?.role !== "ADMIN") return finish(me ? t.staff.adminOnly : t.staff.notStaff);
    const current = await services.desk.chatSubscription(user);
    if (current && !current.managedInChat)
      return finish(`${t.groupAlerts.current(describeArea(current, context))}\n${t.groupAlerts.managedInFile}`);
    const state = {
      districtCodes: current?.districtCodes ?? [],
      roadCommitteeCodes: current?.roadCommitteeCodes ?? [],
      subscribed: current !== undefined,
    };
    const step = picker(state, context);
    const heading = current ? t.groupAlerts.current(describeArea(current, context)) : t.groupAlerts.none;
    return { ...step, replies: [{ type: "text", text: heading }, ...step.replies] };
  },

  async onEvent(state, event, context) {
    const { t, user, services } = context;
    if (event.payload.type !== "choice") return picker(state, context);
    const chat = { channel: user.channel, chatId: user.chatId };
    if (event.payload.value === STOP) {
      const result = await services.desk.unsubscribeChat(user, chat);
      const answers = {
        removed: t.groupAlerts.stopped,
        notSubscribed: t.groupAlerts.notSubscribed,
        notAllowed: t.staff.adminOnly,
        managedInFile: t.groupAlerts.managedInFile,
      };
      return finish(answers[result.type]);
    }
    if (event.payload.value === SAVE) {
      const area = { districtCodes: state.districtCodes, roadCommitteeCodes: state.roadCommitteeCodes };
      const result = await services.desk.subscribeChat(user, { ...chat, name: t.groupAlerts.defaultName(user.chatId) }, area);
      const answers = {
        saved: t.groupAlerts.saved(describeArea(area, context)),
        notAllowed: t.staff.adminOnly,
        managedInFile: t.groupAlerts.managedInFile,
      };
      return finish(answers[result.type]);
    }
    const toggled = toggleArea(state, event.payload.value, context);
    return picker(toggled ? { ...state, ...toggled } : state, context);
  },
};
