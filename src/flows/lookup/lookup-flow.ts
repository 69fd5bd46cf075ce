import { z } from "zod";
import type { LookupResult } from "../../domain/grid/index.ts";
import type { Flow, FlowContext, Step } from "../kit/flow.ts";
import type { OutboundMessage } from "../kit/messages.ts";
import { ENGINE_CHOICES, startFlowChoice } from "../kit/menu.ts";
import { formatAnswer } from "./answer.ts";
import { exampleAddress } from "../kit/town-words.ts";

const stateSchema = z.object({ stage: z.literal("awaitingPlace") });
type LookupState = z.infer<typeof stateSchema>;

/** Longest text taken as a place query; longer input is a paste or a message meant for someone else. */
export const MAX_QUERY_LENGTH = 100;
/** Prefix of the choice values this flow offers; the rest is a grid candidate id. */
const PLACE_CHOICE = "lk:";

const awaiting: LookupState = { stage: "awaitingPlace" };

/**
 * "Who runs my district" (谁管我这片): from a neighbourhood or road name, a road
 * and house number, or a shared location, to the district, its committee, the
 * residents' committee and the road committee. Stays open until it has answered,
 * so a resident can refine a query that found nothing or several places.
 */
export const lookupFlow: Flow<LookupState> = {
  id: "lookup",
  version: 1,
  stateSchema,

  command: { name: "lookup", audience: "everyone" },

  async start(context, input) {
    if (input?.type === "text") return answerQuery(input.text, context);
    if (input?.type === "location") return locate(input.latitude, input.longitude, context);
    return keepAsking([
      { type: "locationRequest", text: context.t.lookup.prompt(exampleAddress(context)), buttonLabel: context.t.lookup.shareLocation },
    ]);
  },

  async onEvent(_state, event, context) {
    const { t } = context;
    const payload = event.payload;
    switch (payload.type) {
      case "text":
        return answerQuery(payload.text, context);
      case "location":
        return locate(payload.latitude, payload.longitude, context);
      case "choice": {
        const result = payload.value.startsWith(PLACE_CHOICE)
          ? context.services.grid.index.resolve(payload.value.slice(PLACE_CHOICE.length))
          : undefined;
        if (!result)
          return keepAsking([
            { type: "text", text: t.errors.staleChoice },
            { type: "text", text: t.lookup.prompt(exampleAddress(context)) },
          ]);
        return present(result, context, "");
      }
      case "photo":
      case "unsupported":
      case "command":
        return keepAsking([{ type: "text", text: t.lookup.expectText }]);
    }
  },
};

function answerQuery(text: string, context: FlowContext): Step<LookupState> {
  const query = text.trim();
  if (query.length > MAX_QUERY_LENGTH) return keepAsking([{ type: "text", text: context.t.lookup.tooLong }]);
  return present(context.services.grid.index.lookup(query), context, query);
}

function locate(latitude: number, longitude: number, context: FlowContext): Step<LookupState> {
  return present(context.services.grid.index.locate(latitude, longitude), context, "");
}

function present(result: LookupResult, context: FlowContext, query: string): Step<LookupState> {
  const { t, locale } = context;
  const town = context.services.grid.index.snapshot.town;
  const officeLine = t.lookup.townOffice(town.office.name[locale], town.office.phone, town.office.hours[locale]);
  switch (result.type) {
    case "found":
      return {
        type: "done",
        // One message, the answer with what to do next under it: a second message would cost the
        // most frequent question a second send.
        replies: [
          {
            type: "choices",
            text: `${formatAnswer(result.answer, t, locale)}\n\n${t.lookup.next}`,
            options: [
              { label: t.lookup.again, value: startFlowChoice("lookup") },
              { label: t.lookup.mainMenu, value: ENGINE_CHOICES.mainMenu },
            ],
          },
        ],
      };
    case "ambiguous":
      return keepAsking([{ type: "choices", text: t.lookup.ambiguous, options: placeOptions(result.candidates, context) }]);
    case "unknownHouseNumber":
      return keepAsking([
        {
          type: "choices",
          text: t.lookup.unknownHouseNumber(result.road[locale], result.houseNumber),
          options: placeOptions(result.candidates, context),
        },
      ]);
    case "noQuery":
      return keepAsking([{ type: "text", text: t.lookup.empty }]);
    case "notFound": {
      const replies: OutboundMessage[] = [{ type: "text", text: t.lookup.notFound(query) }];
      if (result.suggestions.length > 0)
        replies.push({ type: "choices", text: t.lookup.suggestions, options: placeOptions(result.suggestions, context) });
      replies.push({ type: "text", text: officeLine });
      return keepAsking(replies);
    }
    case "outsideTown":
      return keepAsking([{ type: "text", text: `${t.lookup.outsideTown(town.name[locale])}\n${officeLine}` }]);
  }
}

function placeOptions(candidates: { id: string; label: { zh: string; en: string } }[], context: FlowContext) {
  return candidates.map((candidate) => ({ label: candidate.label[context.locale], value: `${PLACE_CHOICE}${candidate.id}` }));
}

function keepAsking(replies: OutboundMessage[]): Step<LookupState> {
  return { type: "continue", state: awaiting, replies };
}
