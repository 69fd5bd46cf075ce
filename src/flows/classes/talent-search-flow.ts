import { z } from "zod";
import type { Flow, Step } from "../kit/flow.ts";
import { exampleNeighbourhood } from "../kit/town-words.ts";

const stateSchema = z.object({});

function say(text: string): Step<never> {
  return { type: "done", replies: [{ type: "text", text }] };
}

/**
 * /talents <skill> [neighbourhood] (academy staff and admins, private chat:
 * the answer holds mobile numbers): residents of the talent pool with that
 * skill, optionally in one neighbourhood matched against the grid.
 */
export const talentSearchFlow: Flow<z.infer<typeof stateSchema>> = {
  id: "talentSearch",
  version: 1,
  stateSchema,
  command: { name: "talents", audience: "academyStaff" },

  async start(context, input) {
    const { t, user, locale, services } = context;
    if (user.chatType !== "private") return say(t.staff.privateOnly);
    const [skill, ...place] = input?.type === "text" ? input.text.trim().split(/\s+/) : [];
    if (!skill) return say(t.classes.searchAsk(exampleNeighbourhood(context)));
    const lookup = place.length > 0 ? services.grid.index.lookup(place.join(" ")) : undefined;
    const neighbourhoodCode = lookup?.type === "found" ? lookup.answer.neighbourhood?.code : undefined;
    const result = await services.classes.searchTalent(user, skill, neighbourhoodCode);
    if (result.type === "notAllowed") return say(t.academy.staffOnly);
    if (result.talents.length === 0) return say(t.classes.searchNone(skill));
    const lines = result.talents.map((talent) =>
      t.classes.searchLine(
        talent.name,
        talent.mobile,
        talent.neighbourhood?.[locale] ?? talent.neighbourhoodCode,
        talent.skills.join("、"),
        talent.availability,
      ),
    );
    return say([t.classes.searchTitle(skill, result.talents.length), ...lines].join("\n"));
  },

  async onEvent() {
    return { type: "done", replies: [] };
  },
};
