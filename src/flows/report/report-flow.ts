import { z } from "zod";
import type { ChatIdentity, ReportPlace } from "../../domain/reports/service.ts";
import type { ReadPlace } from "../../domain/understanding/reading.ts";
import type { Catalog } from "../i18n/catalog.ts";
import type { Flow, FlowContext, SavePhotoResult, Step } from "../kit/flow.ts";
import { startFlowChoice } from "../kit/menu.ts";
import type { ChoiceOption, InboundEvent, OutboundMessage } from "../kit/messages.ts";
import { understand } from "../kit/understand.ts";
import { formatReportView, placeLabel, REFERENCE_PATTERN } from "./view.ts";
import { exampleAddress, exampleProblem } from "../kit/town-words.ts";

const STEPS = [
  "category",
  "confirmCategory",
  "location",
  "consent",
  "road",
  "houseNumber",
  "photos",
  "description",
  "shop",
  "contact",
  "duplicates",
  "summary",
] as const;
type StepName = (typeof STEPS)[number];

const placeSchema = z.object({
  roadCode: z.string().optional(),
  houseNumber: z.number().int().optional(),
  neighbourhoodCode: z.string().optional(),
  districtCode: z.string().optional(),
  latitude: z.number().optional(),
  longitude: z.number().optional(),
});

const stateSchema = z.object({
  step: z.enum(STEPS),
  /** Steps already answered, most recent last, for Back. */
  history: z.array(z.enum(STEPS)),
  draft: z.object({
    categoryCode: z.string().optional(),
    place: placeSchema.optional(),
    photoIds: z.array(z.string()),
    photosAnswered: z.boolean(),
    description: z.string().optional(),
    /** null: the resident said no shop is involved. */
    merchantCode: z.string().nullable().optional(),
    contactAllowed: z.boolean().optional(),
  }),
  suggestedCategory: z.string().optional(),
  /** A pin sent before consent: kept only until the resident answers the consent question. */
  pendingPin: z.object({ latitude: z.number(), longitude: z.number() }).optional(),
  consented: z.boolean(),
  roadPage: z.number().int(),
  pendingRoad: z.string().optional(),
  /** Nearby open reports shown; the resident chose to submit a new one anyway. */
  declinedDuplicates: z.array(z.string()),
  /**
   * When (epoch ms) the resident was last shown the open reports nearby for the draft's category and
   * place, or the check found none; null until it ran. Submitting folds only into reports filed since.
   */
  duplicatesCheckedAt: z.number().nullable(),
});
type ReportState = z.infer<typeof stateSchema>;

/** Prefix of every choice value this flow offers. */
const P = "rp:";
const ROADS_PER_PAGE = 10;
const MIN_DESCRIPTION = 5;
const MAX_DESCRIPTION = 1000;
const MAX_PHOTOS = 3;

/**
 * What a resident may ask for in the middle of a report, in words ("我要报名"):
 * offered as a switch, the draft kept. Places and questions about them are
 * answers to the report's own questions, so a lookup is not among them.
 */
const ELSEWHERE = ["classes", "compact", "myReports"] as const;

const fresh = (): ReportState => ({
  step: "category",
  history: [],
  draft: { photoIds: [], photosAnswered: false },
  consented: false,
  roadPage: 0,
  declinedDuplicates: [],
  duplicatesCheckedAt: null,
});

/**
 * Reporting a street-compact violation (/report): category, place, a check
 * for the same problem nearby (offered to follow instead), photos,
 * description, shop, contact preference, and a summary to confirm or edit. Back works at every step, and the draft
 * survives interruptions (the engine keeps it; /report resumes it).
 * `/report <reference>` shows a report's progress instead.
 */
export const reportFlow: Flow<ReportState> = {
  id: "report",
  // 2: the duplicate check keeps when it ran, not only that it did.
  version: 2,
  stateSchema,
  command: { name: "report", audience: "everyone" },

  async start(context, input) {
    const { t, services } = context;
    if (input?.type === "text" && REFERENCE_PATTERN.test(input.text.trim())) return viewReport(input.text.trim().toUpperCase(), context);
    if (input?.type === "choice" && input.value.startsWith("view:")) return viewReport(input.value.slice("view:".length), context);
    const limit = await services.reports.checkRateLimit(identity(context));
    if (!limit.allowed) return { type: "done", replies: [text(t.report.rateLimitedAtStart(limit.retryAfterMinutes))] };
    const state = fresh();
    if (input?.type === "text") return fromFreeText(state, input.text, context);
    return ask(state, context);
  },

  async resume(state, context) {
    return ask(state, context);
  },

  async onEvent(state, event, context) {
    const payload = event.payload;
    if (payload.type === "choice" && payload.value === `${P}back`) return back(state, context);
    if (payload.type === "choice" && payload.value === `${P}stay`) return ask(state, context);
    if (payload.type === "text") {
      const { intent } = understand(payload.text, context);
      const elsewhere = ELSEWHERE.find((candidate) => candidate === intent);
      if (elsewhere) return keep(state, [switchOffer(elsewhere, context)], context, false);
    }
    if (payload.type === "choice" && !payload.value.startsWith(P)) return keep(state, [text(context.t.report.stale)], context);
    return handlers[state.step](state, event, context);
  },
};

type Handler = (state: ReportState, event: InboundEvent, context: FlowContext) => Promise<Step<ReportState>>;

const handlers: Record<StepName, Handler> = {
  async category(state, event, context) {
    const payload = event.payload;
    if (payload.type === "choice" && payload.value.startsWith(`${P}cat:`)) {
      return answered(state, { categoryCode: payload.value.slice(`${P}cat:`.length) }, context);
    }
    if (payload.type === "text") return fromFreeText(state, payload.text, context);
    return keep(state, [text(context.t.report.expectChoice)], context);
  },

  async confirmCategory(state, event, context) {
    const value = choiceValue(event);
    if (value === `${P}yes` && state.suggestedCategory) return answered(state, { categoryCode: state.suggestedCategory }, context);
    if (value === `${P}othercat`) return moveTo(state, "category", context);
    if (value?.startsWith(`${P}cat:`)) return answered(state, { categoryCode: value.slice(`${P}cat:`.length) }, context);
    return keep(state, [text(context.t.report.expectChoice)], context);
  },

  async location(state, event, context) {
    const payload = event.payload;
    const value = choiceValue(event);
    if (value === `${P}pin`)
      return state.consented ? keep(state, [pinRequest(context)], context, false) : moveTo(state, "consent", context);
    if (value === `${P}roads`) return moveTo({ ...state, roadPage: 0 }, "road", context);
    if (value?.startsWith(`${P}place:`)) return fromCandidate(state, value.slice(`${P}place:`.length), context);
    if (payload.type === "location") {
      if (state.consented) return fromPin(state, payload.latitude, payload.longitude, context);
      return moveTo({ ...state, pendingPin: { latitude: payload.latitude, longitude: payload.longitude } }, "consent", context);
    }
    if (payload.type === "text") return fromTypedAddress(state, payload.text, context);
    return keep(state, [text(context.t.report.expectChoice)], context);
  },

  async consent(state, event, context) {
    const value = choiceValue(event);
    const { t } = context;
    if (value === `${P}consent:yes`) {
      const agreed = { ...state, consented: true, pendingPin: undefined };
      if (state.pendingPin) return fromPin({ ...agreed, step: "location" }, state.pendingPin.latitude, state.pendingPin.longitude, context);
      return { type: "continue", state: { ...agreed, step: "location" }, replies: [pinRequest(context)] };
    }
    if (value === `${P}consent:no`) {
      const declined = { ...state, consented: false, pendingPin: undefined, roadPage: 0 };
      return moveTo(declined, "road", context, [text(t.report.pinDiscarded)]);
    }
    return keep(state, [text(t.report.expectChoice)], context);
  },

  async road(state, event, context) {
    const value = choiceValue(event);
    if (value?.startsWith(`${P}page:`)) return keep({ ...state, roadPage: Number(value.slice(`${P}page:`.length)) || 0 }, [], context);
    if (value?.startsWith(`${P}road:`)) {
      const roadCode = value.slice(`${P}road:`.length);
      if (!context.services.grid.index.road(roadCode)) return keep(state, [text(context.t.report.stale)], context);
      return moveTo({ ...state, pendingRoad: roadCode }, "houseNumber", context);
    }
    if (event.payload.type === "text") return fromTypedAddress(state, event.payload.text, context);
    return keep(state, [text(context.t.report.expectChoice)], context);
  },

  async houseNumber(state, event, context) {
    const { t, services } = context;
    const roadCode = state.pendingRoad;
    const road = roadCode ? services.grid.index.road(roadCode) : undefined;
    if (!roadCode || !road) return moveTo(state, "road", context);
    if (choiceValue(event) === `${P}nonum`) return answered(state, { place: { roadCode } }, context);
    if (event.payload.type !== "text") return keep(state, [text(t.report.badHouseNumber)], context);
    const digits = event.payload.text.normalize("NFKC").replace(/[号號\s]/g, "");
    const houseNumber = /^\d{1,5}$/.test(digits) ? Number(digits) : NaN;
    if (!(houseNumber >= 1)) return keep(state, [text(t.report.badHouseNumber)], context);
    const place = services.grid.index.houseOnRoad(roadCode, houseNumber);
    if (!place) return keep(state, [text(t.report.numberNotOnRoad(road.name[context.locale], houseNumber))], context);
    return answered(
      state,
      { place: { roadCode, houseNumber, districtCode: place.district.code, neighbourhoodCode: place.neighbourhood?.code } },
      context,
    );
  },

  async photos(state, event, context) {
    const payload = event.payload;
    const value = choiceValue(event);
    if (value === `${P}photos:done`) return answered(state, { photosAnswered: true }, context);
    if (payload.type === "photo") return addPhoto(state, event, context);
    if (payload.type === "text" && state.draft.description === undefined) {
      const problem = descriptionProblem(payload.text, context);
      if (problem) return keep(state, [text(problem)], context);
      return answered(state, { photosAnswered: true, description: payload.text.trim() }, context);
    }
    return keep(state, [text(context.t.report.expectChoice)], context);
  },

  async description(state, event, context) {
    const payload = event.payload;
    if (payload.type === "photo") return addPhoto(state, event, context);
    if (payload.type !== "text") return keep(state, [text(context.t.report.expectText)], context);
    const problem = descriptionProblem(payload.text, context);
    if (problem) return keep(state, [text(problem)], context);
    return answered(state, { description: payload.text.trim() }, context);
  },

  async shop(state, event, context) {
    const value = choiceValue(event);
    if (value === `${P}shop:none`) return answered(state, { merchantCode: null }, context);
    if (value?.startsWith(`${P}shop:`)) return answered(state, { merchantCode: value.slice(`${P}shop:`.length) }, context);
    return keep(state, [text(context.t.report.expectChoice)], context);
  },

  async contact(state, event, context) {
    const value = choiceValue(event);
    if (value === `${P}contact:yes` || value === `${P}contact:no`)
      return answered(state, { contactAllowed: value === `${P}contact:yes` }, context);
    return keep(state, [text(context.t.report.expectChoice)], context);
  },

  async duplicates(state, event, context) {
    const { t, services } = context;
    const value = choiceValue(event);
    if (value?.startsWith(`${P}follow:`)) {
      const result = await services.reports.follow(value.slice(`${P}follow:`.length), identity(context));
      switch (result.type) {
        case "followed":
          return { type: "done", replies: [text(t.report.followedExisting(result.reference))] };
        case "alreadyFollowing":
          return { type: "done", replies: [text(t.report.alreadyFollowing(result.reference))] };
        case "ownReport":
          return { type: "done", replies: [text(t.report.ownReport(result.reference))] };
        case "closed":
        case "notFound":
          return keep({ ...state, duplicatesCheckedAt: null }, [text(t.report.stale)], context);
      }
    }
    if (value === `${P}new`) {
      const shown = (await nearbyNotDeclined(state, context)).map((report) => report.reference);
      return proceed(
        {
          ...state,
          history: [...state.history, "duplicates"],
          declinedDuplicates: [...state.declinedDuplicates, ...shown],
          duplicatesCheckedAt: context.now.getTime(),
        },
        context,
      );
    }
    return keep(state, [text(t.report.expectChoice)], context);
  },

  async summary(state, event, context) {
    const { t, services } = context;
    const value = choiceValue(event);
    if (value?.startsWith(`${P}edit:`)) return edit(state, value.slice(`${P}edit:`.length), context);
    if (value !== `${P}confirm`) return keep(state, [text(t.report.expectChoice)], context);
    const { draft } = state;
    if (
      !draft.categoryCode ||
      !draft.place ||
      draft.description === undefined ||
      draft.contactAllowed === undefined ||
      state.duplicatesCheckedAt === null
    ) {
      return proceed(state, context);
    }
    const result = await services.reports.submit(
      {
        categoryCode: draft.categoryCode,
        place: draft.place,
        description: draft.description,
        photoIds: draft.photoIds,
        merchantCode: draft.merchantCode ?? undefined,
        contactAllowed: draft.contactAllowed,
      },
      identity(context),
      { checkedAt: new Date(state.duplicatesCheckedAt), declined: state.declinedDuplicates },
    );
    switch (result.type) {
      case "created":
        return {
          type: "done",
          replies: [
            text(
              t.report.submitted(
                result.reference,
                result.route?.name[context.locale] ?? context.services.grid.index.snapshot.town.office.name[context.locale],
              ),
            ),
          ],
        };
      case "followedExisting":
        return { type: "done", replies: [text(t.report.followedInstead(result.reference))] };
      case "rateLimited":
        return keep(state, [text(t.report.rateLimited(result.retryAfterMinutes))], context, false);
    }
  },
};

/** Free text at the start: the category and place as Linli reads them, and the words as the description. */
async function fromFreeText(state: ReportState, input: string, context: FlowContext): Promise<Step<ReportState>> {
  const words = input.trim();
  const { reading, categoryCode } = understand(words, context);
  const draft = { ...state.draft };
  if (draft.place === undefined) draft.place = placeFromReading(reading.place, context);
  if (draft.description === undefined && !descriptionProblem(words, context)) draft.description = words;
  if (categoryCode === undefined) {
    const next: ReportState = { ...state, draft, step: "category" };
    return { type: "continue", state: next, replies: [await categoryChoices(next, context, context.t.report.noSuggestion)] };
  }
  return ask({ ...state, draft, suggestedCategory: categoryCode, step: "confirmCategory" }, context);
}

/** The place the words name, when it is one place: a road's house number, a road within one district, or one neighbourhood. */
function placeFromReading(place: ReadPlace, context: FlowContext): ReportPlace | undefined {
  const { index } = context.services.grid;
  const [road] = place.roads;
  const [neighbourhood, ...others] = place.neighbourhoods;
  const found = (result: ReturnType<typeof index.resolve>) => (result?.type === "found" ? result.answer : undefined);
  let answer;
  if (road !== undefined)
    answer = place.houseNumber === null ? found(index.resolve(`r:${road}`)) : index.houseOnRoad(road, place.houseNumber);
  else if (neighbourhood !== undefined && others.length === 0) answer = found(index.resolve(`n:${neighbourhood}`));
  return answer && placeFromAnswer(answer);
}

function placeFromAnswer(
  answer: NonNullable<Extract<ReturnType<FlowContext["services"]["grid"]["index"]["lookup"]>, { type: "found" }>["answer"]>,
): ReportPlace {
  return {
    roadCode: answer.road?.code,
    houseNumber: answer.road?.houseNumber ?? undefined,
    neighbourhoodCode: answer.neighbourhood?.code,
    districtCode: answer.district.code,
  };
}

async function fromTypedAddress(state: ReportState, input: string, context: FlowContext): Promise<Step<ReportState>> {
  const { t, services, locale } = context;
  const query = input.trim();
  const result = services.grid.index.lookup(query);
  switch (result.type) {
    case "found":
      return answered({ ...state, step: "location" }, { place: placeFromAnswer(result.answer) }, context);
    case "ambiguous":
    case "unknownHouseNumber":
      return {
        type: "continue",
        state: { ...state, step: "location" },
        replies: [
          choices(
            result.type === "ambiguous" ? t.report.placeAmbiguous : t.report.numberNotOnRoad(result.road[locale], result.houseNumber),
            result.candidates.map((candidate) => ({ label: candidate.label[locale], value: `${P}place:${candidate.id}` })),
            state,
            context,
          ),
        ],
      };
    case "notFound":
    case "noQuery":
    case "outsideTown":
      return moveTo({ ...state, roadPage: 0 }, "road", context, [text(t.report.placeNotFound(query.slice(0, 50)))]);
  }
}

async function fromCandidate(state: ReportState, candidateId: string, context: FlowContext): Promise<Step<ReportState>> {
  const result = context.services.grid.index.resolve(candidateId);
  if (!result) return keep(state, [text(context.t.report.stale)], context);
  if (result.type === "found") return answered(state, { place: placeFromAnswer(result.answer) }, context);
  if (result.type === "ambiguous") {
    return keep(
      state,
      [
        choices(
          context.t.report.placeAmbiguous,
          result.candidates.map((c) => ({ label: c.label[context.locale], value: `${P}place:${c.id}` })),
          state,
          context,
        ),
      ],
      context,
      false,
    );
  }
  return keep(state, [text(context.t.report.stale)], context);
}

async function fromPin(state: ReportState, latitude: number, longitude: number, context: FlowContext): Promise<Step<ReportState>> {
  const { t, services, locale } = context;
  const result = services.grid.index.locate(latitude, longitude);
  if (result.type !== "found") {
    return keep({ ...state, step: "location" }, [text(t.report.outsideTown(services.grid.index.snapshot.town.name[locale]))], context);
  }
  return answered({ ...state, step: "location" }, { place: { districtCode: result.answer.district.code, latitude, longitude } }, context);
}

async function addPhoto(state: ReportState, event: InboundEvent, context: FlowContext): Promise<Step<ReportState>> {
  const { t, services } = context;
  if (event.payload.type !== "photo") return keep(state, [], context);
  // On the photo step every answer carries the Done button; elsewhere the step's own question follows.
  const reply = (next: ReportState, message: string) =>
    state.step === "photos"
      ? keep(next, [choices(message, [{ label: t.report.photosDone, value: `${P}photos:done` }], next, context)], context, false)
      : keep(next, [text(message)], context);
  if (state.draft.photoIds.length >= MAX_PHOTOS) return reply(state, t.report.photoLimit);
  const saved = await services.photos.save(event.channel, event.payload);
  if (!saved.ok) return reply(state, photoRefusal(saved, t));
  const photoIds = state.draft.photoIds.includes(saved.mediaId) ? state.draft.photoIds : [...state.draft.photoIds, saved.mediaId];
  return reply({ ...state, draft: { ...state.draft, photoIds } }, t.report.photoSaved(photoIds.length));
}

function descriptionProblem(input: string, context: FlowContext): string | undefined {
  const words = input.trim();
  const visible = words.replace(/[^\p{L}\p{N}]/gu, "");
  if (visible.length < MIN_DESCRIPTION) return context.t.report.descriptionTooShort;
  if (words.length > MAX_DESCRIPTION) return context.t.report.descriptionTooLong(MAX_DESCRIPTION);
  return undefined;
}

/** Records an answer and moves on to the first question still open. */
function answered(state: ReportState, changes: Partial<ReportState["draft"]>, context: FlowContext): Promise<Step<ReportState>> {
  const history = state.history.at(-1) === state.step ? state.history : [...state.history, state.step];
  const movedProblem = "categoryCode" in changes || "place" in changes;
  return proceed(
    { ...state, history, draft: { ...state.draft, ...changes }, duplicatesCheckedAt: movedProblem ? null : state.duplicatesCheckedAt },
    context,
  );
}

type Shops = Awaited<ReturnType<FlowContext["services"]["reports"]["merchantsOnRoad"]>>;
type Nearby = Awaited<ReturnType<typeof nearbyNotDeclined>>;
/** What a step has already read for deciding where to go, so its question does not read it again. */
interface Known {
  shops?: Shops;
  nearby?: Nearby;
}

/** Goes to the first unanswered step (skipping steps that do not apply) and asks it. */
async function proceed(state: ReportState, context: FlowContext): Promise<Step<ReportState>> {
  const { draft } = state;
  let step: StepName = "summary";
  // What decided the step is what its question shows: read once per step.
  const known: Known = {};
  if (!draft.categoryCode) step = "category";
  else if (!draft.place) step = "location";
  // Asked as soon as the problem and its place are known: a resident whose problem is already
  // reported learns it before taking photos and answering the rest.
  else if (state.duplicatesCheckedAt === null && (known.nearby = await nearbyNotDeclined(state, context)).length > 0) step = "duplicates";
  else if (!draft.photosAnswered) step = "photos";
  else if (draft.description === undefined) step = "description";
  else if (
    draft.merchantCode === undefined &&
    draft.place.roadCode &&
    (known.shops = await context.services.reports.merchantsOnRoad(draft.place.roadCode)).length > 0
  )
    step = "shop";
  else if (draft.contactAllowed === undefined) step = "contact";
  const next = {
    ...state,
    step,
    duplicatesCheckedAt: state.duplicatesCheckedAt ?? (known.nearby?.length === 0 ? context.now.getTime() : null),
  };
  return { type: "continue", state: next, replies: await question(next, context, known) };
}

/** Asks the current step's question again (after Back, on resume, or when moving to it). */
async function ask(state: ReportState, context: FlowContext): Promise<Step<ReportState>> {
  return { type: "continue", state, replies: await question(state, context) };
}

function moveTo(state: ReportState, step: StepName, context: FlowContext, before: OutboundMessage[] = []): Promise<Step<ReportState>> {
  const history = state.history.at(-1) === state.step || state.step === step ? state.history : [...state.history, state.step];
  return ask({ ...state, history, step }, context).then((next) => ({ ...next, replies: [...before, ...next.replies] }));
}

/** Stays on the step; `reask` repeats its question after the given replies. */
async function keep(state: ReportState, replies: OutboundMessage[], context: FlowContext, reask = true): Promise<Step<ReportState>> {
  return { type: "continue", state, replies: reask ? [...replies, ...(await question(state, context))] : replies };
}

async function back(state: ReportState, context: FlowContext): Promise<Step<ReportState>> {
  const previous = state.history.at(-1);
  if (!previous) return ask(state, context);
  return ask({ ...state, step: previous, history: state.history.slice(0, -1), pendingPin: undefined }, context);
}

async function edit(state: ReportState, field: string, context: FlowContext): Promise<Step<ReportState>> {
  const draft = { ...state.draft };
  const base = { ...state, history: [...state.history, "summary" as const] };
  switch (field) {
    case "category":
      return moveTo({ ...base, draft }, "category", context);
    case "place":
      return moveTo({ ...base, draft: { ...draft, place: undefined, merchantCode: undefined } }, "location", context);
    case "photos":
      return moveTo({ ...base, draft: { ...draft, photoIds: [], photosAnswered: false } }, "photos", context);
    case "description":
      return moveTo({ ...base, draft: { ...draft, description: undefined } }, "description", context);
    case "contact":
      return moveTo({ ...base, draft: { ...draft, contactAllowed: undefined } }, "contact", context);
    default:
      return keep(state, [text(context.t.report.stale)], context);
  }
}

async function nearbyNotDeclined(state: ReportState, context: FlowContext) {
  const { categoryCode, place } = state.draft;
  if (!categoryCode || !place) return [];
  const nearby = await context.services.reports.findNearbyOpen(categoryCode, place);
  return nearby.filter((report) => !state.declinedDuplicates.includes(report.reference)).slice(0, 3);
}

/** The messages that ask the current step's question, using what the caller has just read. */
async function question(state: ReportState, context: FlowContext, known: Known = {}): Promise<OutboundMessage[]> {
  const { t, services, locale } = context;
  const r = t.report;
  switch (state.step) {
    case "category":
      return [await categoryChoices(state, context)];
    case "confirmCategory": {
      const category = (await services.reports.categories()).find((c) => c.code === state.suggestedCategory);
      if (!category) return [await categoryChoices(state, context)];
      return [
        choices(
          r.suggestCategory(category.name[locale], r.clause(category.clause.ref, category.clause.text[locale])),
          [
            { label: r.yes, value: `${P}yes` },
            { label: r.otherCategory, value: `${P}othercat` },
          ],
          state,
          context,
        ),
      ];
    }
    case "location":
      return [
        choices(
          r.askLocation(exampleAddress(context)),
          [
            { label: r.shareLocation, value: `${P}pin` },
            { label: r.pickRoad, value: `${P}roads` },
          ],
          state,
          context,
        ),
      ];
    case "consent":
      return [
        choices(
          r.consent,
          [
            { label: r.consentYes, value: `${P}consent:yes` },
            { label: r.consentNo, value: `${P}consent:no` },
          ],
          state,
          context,
        ),
      ];
    case "road": {
      const roads = services.grid.index.roads();
      const page = Math.min(state.roadPage, Math.max(0, Math.ceil(roads.length / ROADS_PER_PAGE) - 1));
      const shown = roads.slice(page * ROADS_PER_PAGE, (page + 1) * ROADS_PER_PAGE);
      const options = shown.map((road) => ({ label: road.name[locale], value: `${P}road:${road.code}` }));
      const hasMore = (page + 1) * ROADS_PER_PAGE < roads.length;
      if (hasMore) options.push({ label: r.morePages, value: `${P}page:${page + 1}` });
      else if (page > 0) options.push({ label: r.morePages, value: `${P}page:0` });
      return [choices(r.pickRoadPrompt, options, state, context)];
    }
    case "houseNumber": {
      const road = state.pendingRoad ? services.grid.index.road(state.pendingRoad) : undefined;
      return [choices(r.askHouseNumber(road?.name[locale] ?? ""), [{ label: r.unknownNumber, value: `${P}nonum` }], state, context)];
    }
    case "photos":
      return [
        choices(
          r.askPhotos,
          [{ label: state.draft.photoIds.length > 0 ? r.photosDone : r.photosSkip, value: `${P}photos:done` }],
          state,
          context,
        ),
      ];
    case "description":
      return [choices(r.askDescription, [], state, context)];
    case "shop": {
      const merchants = known.shops ?? (await services.reports.merchantsOnRoad(state.draft.place?.roadCode ?? ""));
      const houseNumber = state.draft.place?.houseNumber;
      const nearest = [...merchants]
        .sort((a, b) =>
          houseNumber === undefined ? 0 : Math.abs((a.houseNumber ?? 1e9) - houseNumber) - Math.abs((b.houseNumber ?? 1e9) - houseNumber),
        )
        .slice(0, 8);
      return [
        choices(
          r.askShop,
          [...nearest.map((m) => ({ label: m.name[locale], value: `${P}shop:${m.code}` })), { label: r.noShop, value: `${P}shop:none` }],
          state,
          context,
        ),
      ];
    }
    case "contact":
      return [
        choices(
          r.askContact,
          [
            { label: r.contactYes, value: `${P}contact:yes` },
            { label: r.contactNo, value: `${P}contact:no` },
          ],
          state,
          context,
        ),
      ];
    case "duplicates": {
      const nearby = known.nearby ?? (await nearbyNotDeclined(state, context));
      const lines = nearby.map((report) =>
        r.duplicateLine(report.reference, r.status[report.status], report.supporters, report.place[locale]),
      );
      return [
        choices(
          [r.duplicatesFound, ...lines].join("\n"),
          [
            ...nearby.map((report) => ({ label: r.followExisting(report.reference), value: `${P}follow:${report.reference}` })),
            { label: r.submitAnyway, value: `${P}new` },
          ],
          state,
          context,
        ),
      ];
    }
    case "summary":
      return [
        choices(
          await summaryText(state, context),
          [
            { label: r.confirm, value: `${P}confirm` },
            { label: r.editCategory, value: `${P}edit:category` },
            { label: r.editPlace, value: `${P}edit:place` },
            { label: r.editPhotos, value: `${P}edit:photos` },
            { label: r.editDescription, value: `${P}edit:description` },
            { label: r.editContact, value: `${P}edit:contact` },
          ],
          state,
          context,
        ),
      ];
  }
}

async function summaryText(state: ReportState, context: FlowContext): Promise<string> {
  const { t, services, locale } = context;
  const r = t.report;
  const { draft } = state;
  const category = (await services.reports.categories()).find((c) => c.code === draft.categoryCode);
  const place = draft.place ?? {};
  const route = draft.categoryCode ? await services.reports.routeFor(draft.categoryCode, place) : null;
  const merchant =
    draft.merchantCode && place.roadCode
      ? (await services.reports.merchantsOnRoad(place.roadCode)).find((m) => m.code === draft.merchantCode)
      : undefined;
  const lines = [
    r.summaryTitle,
    "",
    r.summaryCategory(category ? `${category.name[locale]}（${r.clause(category.clause.ref, category.clause.text[locale])}）` : ""),
    r.summaryPlace(placeLabel(place, services.grid.index, t, locale) + (place.latitude !== undefined ? r.summaryPreciseLocation : "")),
    r.summaryPhotos(draft.photoIds.length),
    r.summaryDescription(draft.description ?? ""),
  ];
  if (merchant) lines.push(r.summaryShop(merchant.name[locale]));
  lines.push(
    r.summaryContact(draft.contactAllowed === true),
    r.summaryIdentity,
    "",
    route ? r.summaryRoute(route.name[locale]) : r.summaryNoRoute,
  );
  return lines.join("\n");
}

/** The categories as buttons, under `prompt` or else the question that quotes one of this town's example messages. */
async function categoryChoices(state: ReportState, context: FlowContext, prompt?: string): Promise<OutboundMessage> {
  const categories = await context.services.reports.categories();
  return choices(
    prompt ?? context.t.report.askCategory(exampleProblem(categories, context)),
    categories.map((category) => ({ label: category.name[context.locale], value: `${P}cat:${category.code}` })),
    state,
    context,
  );
}

/** A question with its options, plus Back once there is somewhere to go back to. */
function choices(prompt: string, options: ChoiceOption[], state: ReportState, context: FlowContext): OutboundMessage {
  const withBack = state.history.length > 0 ? [...options, { label: context.t.report.back, value: `${P}back` }] : options;
  return withBack.length > 0 ? { type: "choices", text: prompt, options: withBack } : text(prompt);
}

/** Go where the words ask (the engine keeps the draft, /report resumes it), or carry on with the report. */
function switchOffer(flow: (typeof ELSEWHERE)[number], context: FlowContext): OutboundMessage {
  const { t } = context;
  return {
    type: "choices",
    text: t.understand.switchOffer(t.flowNames[flow]),
    options: [
      { label: t.understand.switchTo(t.flowNames[flow]), value: startFlowChoice(flow) },
      { label: t.understand.keepGoing(t.flowNames.report), value: `${P}stay` },
    ],
  };
}

function pinRequest(context: FlowContext): OutboundMessage {
  return { type: "locationRequest", text: context.t.report.sendPinNow, buttonLabel: context.t.report.sendPinButton };
}

function choiceValue(event: InboundEvent): string | undefined {
  return event.payload.type === "choice" ? event.payload.value : undefined;
}

function identity(context: FlowContext): ChatIdentity {
  return { channel: context.user.channel, userId: context.user.userId, chatId: context.user.chatId, locale: context.locale };
}

function text(value: string): OutboundMessage {
  return { type: "text", text: value };
}

async function viewReport(reference: string, context: FlowContext): Promise<Step<ReportState>> {
  const view = await context.services.reports.viewForResident(reference, identity(context));
  if (!view) return { type: "done", replies: [text(context.t.report.notFound(reference))] };
  return { type: "done", replies: [text(formatReportView(view, context.t, context.locale, context.services.timeZone))] };
}

/** What to tell someone whose photo was not kept, and why. */
export function photoRefusal(result: Extract<SavePhotoResult, { ok: false }>, t: Catalog): string {
  return result.reason === "tooLarge"
    ? t.report.photoTooLarge(Math.floor(result.maxBytes / (1024 * 1024)))
    : result.reason === "notImage"
      ? t.report.photoNotImage
      : t.report.photoUnavailable;
}
