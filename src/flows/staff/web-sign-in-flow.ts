import { z } from "zod";
import { SIGN_IN_LINK_MINUTES } from "../../domain/staff/sign-in.ts";
import type { Flow } from "../kit/flow.ts";
import { finish } from "./common.ts";

const stateSchema = z.object({});

/**
 * /web (staff, private chat, any channel): a one-time link that signs the
 * member in to the web console. The chat account is the proof of who they
 * are, so the link is only ever sent to that account privately: in a group
 * anyone could open it first.
 */
export const webSignInFlow: Flow<z.infer<typeof stateSchema>> = {
  id: "webSignIn",
  version: 1,
  stateSchema,
  command: { name: "web", audience: "staff" },

  async start(context) {
    const { t, user, services } = context;
    if (user.chatType !== "private") return finish(t.staff.web.privateOnly);
    const request = await services.signIn.request(user);
    if (request.type === "notStaff") return finish(t.staff.notStaff);
    const url = services.links.consoleSignIn(request.token);
    if (!url) return finish(t.staff.web.unavailable);
    return {
      type: "done",
      replies: [{ type: "link", text: t.staff.web.link(SIGN_IN_LINK_MINUTES), url, label: t.staff.web.open }],
    };
  },

  async onEvent() {
    return { type: "done", replies: [] };
  },
};
