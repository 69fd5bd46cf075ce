import { z } from "zod";
import { localDateOf } from "../../domain/time/zone.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import { startFlowChoice } from "../kit/menu.ts";
import type { ChoiceOption } from "../kit/messages.ts";
import { ACK_PREFIX } from "./shop-flow.ts";
import { townTime } from "../report/view.ts";
import { townName } from "../kit/town-words.ts";

const stateSchema = z.object({});
type CompactState = z.infer<typeof stateSchema>;

/** A bound merchant's shops with their standing, and a button to (re)acknowledge each shop not current. */
async function merchantView(context: FlowContext): Promise<Step<CompactState> | undefined> {
  const { t, locale, services, user } = context;
  const mine = await services.compact.myShops(user);
  if (mine.length === 0) return undefined;
  const lines: string[] = [];
  const options: ChoiceOption[] = [];
  for (const shop of mine) {
    const name = shop.shop.name[locale];
    lines.push(t.compact.myShop(name, t.compact.standing[shop.standing]));
    if (shop.lastAcknowledged)
      lines.push(
        t.compact.lastSigned(
          shop.lastAcknowledged.version,
          townTime(shop.lastAcknowledged.at, locale, context.services.timeZone),
          shop.lastAcknowledged.signerName,
        ),
      );
    if (shop.standing !== "current")
      options.push({ label: t.compact.signNow(name), value: `${startFlowChoice("shop")}:${ACK_PREFIX}${shop.shop.code}` });
  }
  const text = lines.join("\n");
  return { type: "done", replies: [options.length > 0 ? { type: "choices", text, options } : { type: "text", text }] };
}

/** What residents may see: the version in force and, per road, the shops that signed it out of all. */
async function publicView(context: FlowContext): Promise<Step<CompactState>> {
  const { t, locale, services } = context;
  const inForce = await services.compact.inForce();
  if (!inForce) return { type: "done", replies: [{ type: "text", text: t.compact.publicNone(townName(context)) }] };
  const counts = await services.compact.publicCounts();
  const lines = [
    t.compact.publicTitle(inForce.title[locale], inForce.version, localDateOf(inForce.effectiveFrom, context.services.timeZone)),
    ...counts.map((c) => t.compact.publicLine(c.road[locale], c.signed, c.total)),
  ];
  return { type: "done", replies: [{ type: "text", text: lines.join("\n") }] };
}

/**
 * /compact: a merchant sees their shop's standing with the street compact and
 * is offered to (re)acknowledge it when it is not current; anyone else sees
 * how many shops on each road signed the version in force (e.g.
 * XX路：已签署现行公约 12/15 家), with no names of shops or people.
 */
export const compactFlow: Flow<CompactState> = {
  id: "compact",
  version: 1,
  stateSchema,
  command: { name: "compact", audience: "everyone" },

  async start(context) {
    return (await merchantView(context)) ?? publicView(context);
  },

  async onEvent(_state, _event, context) {
    return (await merchantView(context)) ?? publicView(context);
  },
};
