import { z } from "zod";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import { startFlowChoice } from "../kit/menu.ts";
import type { InboundPayload } from "../kit/messages.ts";
import { finish } from "./common.ts";

const stateSchema = z.object({ stage: z.literal("confirmRevoke"), staffId: z.string(), label: z.string() });
type StaffState = z.infer<typeof stateSchema>;

const REVOKE_PREFIX = "revoke:";

async function list(context: FlowContext): Promise<Step<StaffState>> {
  const { t, locale, services } = context;
  const members = await services.staff.list();
  const { index } = services.grid;
  const areas = (codes: { districtCodes: string[]; roadCommitteeCodes: string[] }) =>
    [
      ...codes.districtCodes.map((code) => index.district(code)?.name[locale] ?? code),
      ...codes.roadCommitteeCodes.map((code) => index.snapshot.roadCommittees.find((c) => c.code === code)?.name[locale] ?? code),
    ].join("、");
  return {
    type: "done",
    replies: [
      {
        type: "choices",
        text: t.staff.list.title(members.length),
        options: [
          ...members.map((member) => ({
            label: t.staff.list.line(member.label, t.staff.roles[member.role], areas(member)),
            value: `${startFlowChoice("staff")}:${REVOKE_PREFIX}${member.staffId}`,
          })),
          { label: t.staff.list.invite, value: startFlowChoice("invite") },
        ],
      },
    ],
  };
}

async function askRevoke(input: InboundPayload, context: FlowContext): Promise<Step<StaffState>> {
  const { t, services } = context;
  const staffId = input.type === "choice" && input.value.startsWith(REVOKE_PREFIX) ? input.value.slice(REVOKE_PREFIX.length) : undefined;
  const member = staffId ? (await services.staff.list()).find((m) => m.staffId === staffId) : undefined;
  if (!member) return finish(t.staff.list.notFound);
  return {
    type: "continue",
    state: { stage: "confirmRevoke", staffId: member.staffId, label: member.label },
    replies: [
      {
        type: "choices",
        text: t.staff.list.confirmRevoke(member.label),
        options: [
          { label: t.staff.list.revokeYes, value: "yes" },
          { label: t.staff.list.revokeNo, value: "no" },
        ],
      },
    ],
  };
}

/**
 * /staff (admins, private chat): who is staff, with their role and area;
 * pressing someone asks to confirm revoking them. The registry enforces that
 * only admins revoke and never themselves; this flow only asks.
 */
export const staffFlow: Flow<StaffState> = {
  id: "staff",
  version: 1,
  stateSchema,
  command: { name: "staff", audience: "admins" },

  async start(context, input) {
    const { t, user, services } = context;
    if (user.chatType !== "private") return finish(t.staff.privateOnly);
    const me = await services.staff.find(user);
    if (me?.role !== "ADMIN") return finish(me ? t.staff.adminOnly : t.staff.notStaff);
    return input ? askRevoke(input, context) : list(context);
  },

  async onEvent(state, event, context) {
    const { t, user, services } = context;
    if (event.payload.type !== "choice" || event.payload.value !== "yes") return finish(t.staff.list.kept);
    const result = await services.staff.revoke({ channel: user.channel, userId: user.userId, chatId: user.chatId }, state.staffId);
    switch (result.type) {
      case "revoked":
        return finish(t.staff.list.revoked(state.label));
      case "notAllowed":
        return finish((await services.staff.find(user))?.role === "ADMIN" ? t.staff.list.notAllowed : t.staff.adminOnly);
      case "notFound":
        return finish(t.staff.list.notFound);
    }
  },
};
