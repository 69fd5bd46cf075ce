import { z } from "zod";
import type { Flow } from "../kit/flow.ts";
import { startFlowChoice } from "../kit/menu.ts";
import { finish, privateOnly, refusalText } from "./common.ts";

const stateSchema = z.object({});

/** As many cases as fit one Telegram keyboard comfortably; /case reaches the rest. */
const MAX_LISTED = 20;
const HOUR = 3_600_000;

/** /open (staff, private chat): open cases in my districts and road committees, oldest first, each a button to its details. */
export const openCasesFlow: Flow<z.infer<typeof stateSchema>> = {
  id: "openCases",
  version: 1,
  stateSchema,
  command: { name: "open", audience: "districtStaff" },

  async start(context) {
    const { t, locale, user, services, now } = context;
    if (user.chatType !== "private") return { type: "done", replies: privateOnly(t) };
    const result = await services.desk.openCases(user, MAX_LISTED);
    if (result.type !== "ok") return finish(refusalText(result, "", t) ?? t.staff.notStaff);
    if (result.total === 0) return finish(t.staff.open.empty);
    return {
      type: "done",
      replies: [
        {
          type: "choices",
          text: t.staff.open.title(result.cases.length, result.total),
          options: result.cases.map((c) => ({
            label: t.staff.open.line(
              c.reference,
              c.category[locale],
              t.report.status[c.status],
              c.place[locale],
              t.staff.open.age(Math.floor((now.getTime() - c.createdAt.getTime()) / HOUR)),
            ),
            value: `${startFlowChoice("case")}:view:${c.reference}`,
          })),
        },
      ],
    };
  },

  async onEvent() {
    return { type: "done", replies: [] };
  },
};
