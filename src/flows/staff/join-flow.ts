import { z } from "zod";
import { staffCommandsText } from "../kit/commands.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import { finish } from "./common.ts";

const stateSchema = z.object({ stage: z.literal("code") });
type JoinState = z.infer<typeof stateSchema>;

/** The start payload of a staff invitation link: `https://t.me/<bot>?start=staff-<code>`. */
export const STAFF_DEEP_LINK_PREFIX = "staff-";

async function redeem(code: string, context: FlowContext): Promise<Step<JoinState>> {
  const { t, user, locale, services } = context;
  const result = await services.staff.redeem(code, { channel: user.channel, userId: user.userId, chatId: user.chatId, locale });
  switch (result.type) {
    case "bound":
      return finish(
        `${t.staff.join.bound(result.staff.label, t.staff.roles[result.staff.role])}\n${staffCommandsText(context.commands, locale, result.staff.role)}`,
      );
    case "invalid":
      return { type: "continue", state: { stage: "code" }, replies: [{ type: "text", text: t.staff.join.invalid }] };
    case "expired":
      return finish(t.staff.join.expired);
    case "used":
      return finish(t.staff.join.used);
  }
}

/**
 * /join <code>, or a Telegram invitation link: binds this chat account as
 * staff with the role the invitation grants. A mistyped code may be typed
 * again; the registry counts nothing against the person for it.
 */
export const joinStaffFlow: Flow<JoinState> = {
  id: "joinStaff",
  version: 1,
  stateSchema,
  command: { name: "join", audience: "staff" },
  deepLinkPrefix: STAFF_DEEP_LINK_PREFIX,

  async start(context, input) {
    if (input?.type === "text" && input.text.trim() !== "") return redeem(input.text, context);
    return { type: "continue", state: { stage: "code" }, replies: [{ type: "text", text: context.t.staff.join.askCode }] };
  },

  async onEvent(state, event, context) {
    if (event.payload.type !== "text") return { type: "continue", state, replies: [{ type: "text", text: context.t.staff.join.askCode }] };
    return redeem(event.payload.text, context);
  },
};
