import { performance } from "node:perf_hooks";
import { httpRequest } from "../src/bot/http/client.ts";
import { zh } from "../src/flows/i18n/zh.ts";
import type { BotMessage, LoadBotApi } from "./fake-bot-api.ts";
import { percentiles, type Percentiles } from "./stats.ts";
import { seededRandom } from "../test/support/seeded-random.ts";

/**
 * Simulated Telegram users driving Linli through its webhook, the way Telegram
 * does: real Bot API update JSON, POSTed with the secret header; the webhook
 * answers once the update is handled and every reply has been sent to the
 * (fake) Bot API, so the time to the answer is the full-stack latency of the
 * step. Users read the bot's replies from the fake and react the way a person
 * would (press the offered button, send the photo, type the description), so
 * the conversations follow the flows as they are, not a recording of them.
 */

/** What a simulated user does next. */
export type Action =
  | { label: string; type: "text"; text: string }
  | { label: string; type: "photo" }
  | { label: string; type: "press"; message: BotMessage; data: string };

/** One user's conversation: given the replies to its last action, its next action, or undefined when it is over. */
export interface Conversation {
  userId: number;
  next(replies: BotMessage[]): Action | undefined;
}

/** What the conversations achieved, counted as they end. */
export interface Outcomes {
  /** Reports filed as new ones. */
  reportsSubmitted: number;
  /** Reports that ended following an earlier report of the same problem nearby (the duplicate check). */
  reportsFollowed: number;
  /** New reports that named a shop, which adds the shop's compact standing and its notices to the submission. */
  reportsNamingShop: number;
  classSeats: number;
  classWaitlisted: number;
  lookupsAnswered: number;
  /** Conversations that met a reply they did not expect (a flow changed, or an error reply). */
  stuck: number;
  /** Replies that were the dispatcher's "something went wrong" / "unavailable" texts. */
  errorReplies: number;
}

/** The names, roads and cohorts of the benchmark town the users talk about. */
export interface TownWords {
  neighbourhoods: string[];
  roads: string[];
  /** Words residents use for problems, one per category, so reports spread over the categories. */
  problems: string[];
  cohortCodes: string[];
}

/** A conversation kind and how often it starts, relative to the others. */
export type Mix = Partial<Record<"lookup" | "report" | "newReport" | "classes" | "longReport" | "openSession", number>>;

/** Edit rounds of a long report: with them a conversation runs past 30 steps. */
export const LONG_EDIT_ROUNDS = 13;

/** Unanswered updates at which an open-loop run stops sending more (see openLoop). */
const MAX_OPEN_LOOP_IN_FLIGHT = 1_000;

/** What a user types when the bot could not place their report: an address the sample town knows. */
const TYPED_ADDRESS = "永德路12号";

/** How the confirmation of a newly filed report begins. */
const SUBMITTED = zh.report.submitted("\u0000", "").split("\u0000")[0]!;
const REFERENCE = /[A-Z]{2,4}-\d{4}-\d{6}/;
const CHECK_IN_CODE = /[A-Z2-9]{6}/;

const buttons = (message: BotMessage) => message.reply_markup?.inline_keyboard?.flat() ?? [];
/** The newest reply with a button whose data passes `test`, and that button's data. */
function findButton(replies: BotMessage[], test: (data: string) => boolean): { message: BotMessage; data: string } | undefined {
  for (const message of [...replies].reverse()) {
    const found = buttons(message).find((button) => button.callback_data !== undefined && test(button.callback_data));
    if (found?.callback_data) return { message, data: found.callback_data };
  }
  return undefined;
}
const shows = (replies: BotMessage[], test: (text: string) => boolean) =>
  replies.some((message) => test(message.text ?? message.caption ?? ""));

/**
 * Builds the load: conversations of each kind over the town's words, and the
 * runners that feed them to the webhook open-loop (fixed arrival rate) or
 * closed-loop (fixed concurrency, as fast as answers come back).
 */
export function createLoad(options: {
  webhookUrl: string;
  secret: string;
  api: LoadBotApi;
  town: TownWords;
  seed: number;
  firstUserId: number;
}) {
  const { api, town } = options;
  const rand = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const outcomes: Outcomes = {
    reportsSubmitted: 0,
    reportsFollowed: 0,
    reportsNamingShop: 0,
    classSeats: 0,
    classWaitlisted: 0,
    lookupsAnswered: 0,
    stuck: 0,
    errorReplies: 0,
  };
  let nextUserId = options.firstUserId;
  let nextUpdateId = 1;
  let nextMessageId = 1;

  /** The last replies of the first few stuck conversations, so a changed flow is easy to see in the JSON. */
  const stuckSamples: { label: string; replies: string[] }[] = [];
  const stuck = (kind: string, replies: BotMessage[]): undefined => {
    outcomes.stuck += 1;
    if (stuckSamples.length < 5)
      stuckSamples.push({
        label: kind,
        replies: replies.map((m) => `${m.text ?? m.caption ?? ""} ${JSON.stringify(buttons(m).map((b) => b.callback_data))}`),
      });
    return undefined;
  };

  const lookup = (userId: number): Conversation => {
    let asked = false;
    return {
      userId,
      next(replies) {
        if (!asked) {
          asked = true;
          const query = rand() < 0.5 ? `${pick(town.neighbourhoods)}归哪个片区管？` : `${pick(town.roads)}${1 + Math.floor(rand() * 90)}号`;
          return { label: "lookup: question", type: "text", text: query };
        }
        if (replies.length > 0) outcomes.lookupsAnswered += 1;
        else stuck("lookup", replies);
        return undefined;
      },
    };
  };

  /**
   * A report from free text with a photo. Shown reports of the same problem
   * nearby, the user follows the first one, as a resident whose problem is
   * already reported would; the report is complete once the bot confirms the
   * follow. With `fileAnyway` the user files a new report all the same, with
   * its photo, as one whose problem differs would. `editRounds` > 0 makes a
   * long conversation: at the summary the user edits the description that
   * many times before confirming, so the draft's history grows step by step.
   */
  const report = (userId: number, labelPrefix: string, { fileAnyway = false, editRounds = 0 } = {}): Conversation => {
    let step = 0;
    let photoSent = false;
    let edits = 0;
    // Every other resident names a shop when the bot offers the ones nearby, so the benchmark takes that path of submission too.
    const namesShop = userId % 2 === 0;
    let shopNamed = false;
    const label = (name: string) => `${labelPrefix}: ${name}`;
    return {
      userId,
      next(replies) {
        step += 1;
        if (step === 1)
          return {
            label: label("free text"),
            type: "text",
            text: `${pick(town.roads)}${1 + Math.floor(rand() * 300)}号${pick(town.problems)}，已经好几天了`,
          };
        if (step > 40 + editRounds * 3) return stuck(labelPrefix, replies);
        if (shows(replies, (text) => text.startsWith(SUBMITTED))) {
          outcomes.reportsSubmitted += 1;
          if (shopNamed) outcomes.reportsNamingShop += 1;
          return undefined;
        }
        const press = (name: string, test: (data: string) => boolean): Action | undefined => {
          const found = findButton(replies, test);
          return found && { label: label(name), type: "press", ...found };
        };
        const duplicates = findButton(replies, (data) => data === "rp:new");
        if (duplicates)
          return fileAnyway ? press("file anyway", (data) => data === "rp:new") : press("follow", (data) => data.startsWith("rp:follow:"));
        // The follow confirmed, or a report of the same problem filed in the meantime followed instead of a new one.
        if (shows(replies, (text) => REFERENCE.test(text))) {
          outcomes.reportsFollowed += 1;
          return undefined;
        }
        if (shows(replies, (text) => text === zh.report.askDescription))
          return {
            label: label(edits > 0 ? "new description" : "description"),
            type: "text",
            text: `第${edits + 1}次补充：烧烤摊占用人行道，行人只能走机动车道`,
          };
        const photos = findButton(replies, (data) => data === "rp:photos:done");
        if (photos && !photoSent) {
          photoSent = true;
          return { label: label("photo"), type: "photo" };
        }
        if (photos) return press("photos done", (data) => data === "rp:photos:done");
        const summary = findButton(replies, (data) => data === "rp:confirm");
        if (summary && edits < editRounds) {
          edits += 1;
          return press(`edit description #${edits}`, (data) => data === "rp:edit:description");
        }
        const shop = namesShop ? press("shop", (data) => data.startsWith("rp:shop:") && data !== "rp:shop:none") : undefined;
        if (shop) shopNamed = true;
        return (
          press("confirm", (data) => data === "rp:confirm") ??
          press("category", (data) => data === "rp:yes") ??
          shop ??
          press("shop", (data) => data === "rp:shop:none") ??
          press("contact", (data) => data === "rp:contact:no") ??
          press("place", (data) => data.startsWith("rp:place:")) ??
          press("category", (data) => data.startsWith("rp:cat:")) ??
          (findButton(replies, (data) => data === "rp:roads")
            ? { label: label("typed address"), type: "text", text: TYPED_ADDRESS }
            : undefined) ??
          stuck(labelPrefix, replies)
        );
      },
    };
  };

  const classes = (userId: number): Conversation => {
    let step = 0;
    let skipped = false;
    return {
      userId,
      next(replies) {
        step += 1;
        if (step === 1) return { label: "classes: list", type: "text", text: "/classes" };
        if (skipped) {
          if (shows(replies, (text) => text.includes("报名成功") && CHECK_IN_CODE.test(text))) outcomes.classSeats += 1;
          else if (shows(replies, (text) => text.includes("候补"))) outcomes.classWaitlisted += 1;
          else stuck("classes", replies);
          return undefined;
        }
        if (step > 15) return stuck("classes", replies);
        const press = (name: string, test: (data: string) => boolean): Action | undefined => {
          const found = findButton(replies, test);
          return found && { label: `classes: ${name}`, type: "press", ...found };
        };
        if (shows(replies, (text) => text === zh.classes.askName)) return { label: "classes: name", type: "text", text: "陈静" };
        if (shows(replies, (text) => text === zh.classes.askMobile))
          return { label: "classes: mobile", type: "text", text: `139${String(userId % 100_000_000).padStart(8, "0")}` };
        if (shows(replies, (text) => text === zh.classes.askNeighbourhood))
          return { label: "classes: neighbourhood", type: "text", text: pick(town.neighbourhoods) };
        const skills = press("skills", (data) => data === "skills:none");
        if (skills) skipped = true;
        const cohort = pick(town.cohortCodes);
        return (
          skills ??
          press("privacy", (data) => data === "privacy:yes") ??
          press("sign up", (data) => data.endsWith(`:signup:${cohort}`) || data.includes(":signup:")) ??
          press("cohort", (data) => data.endsWith(`:cohort:${cohort}`)) ??
          press("neighbourhood", (data) => data.startsWith("nb:")) ??
          stuck("classes", replies)
        );
      },
    };
  };

  /** Starts a report and walks away: the session stays open until it expires. */
  const openSession = (userId: number): Conversation => {
    let asked = false;
    return {
      userId,
      next() {
        if (asked) return undefined;
        asked = true;
        return { label: "open session: /report", type: "text", text: "/report" };
      },
    };
  };

  const factories = {
    lookup,
    report: (userId: number) => report(userId, "report"),
    newReport: (userId: number) => report(userId, "new report", { fileAnyway: true }),
    classes,
    longReport: (userId: number) => report(userId, "long report", { fileAnyway: true, editRounds: LONG_EDIT_ROUNDS }),
    openSession,
  };
  const start = (mix: Mix): Conversation => {
    const entries = Object.entries(mix) as [keyof typeof factories, number][];
    let roll = rand() * entries.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [kind, weight] of entries) {
      roll -= weight;
      if (roll <= 0) return factories[kind](nextUserId++);
    }
    return factories[entries[0]![0]](nextUserId++);
  };

  const updateFor = (userId: number, action: Action): object => {
    const from = { id: userId, is_bot: false, first_name: "居民", language_code: "zh-hans" };
    const chat = { id: userId, type: "private", first_name: "居民" };
    const update_id = nextUpdateId++;
    const base = { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from };
    switch (action.type) {
      case "text": {
        const command = /^\/\w+/.exec(action.text);
        return {
          update_id,
          message: {
            ...base,
            text: action.text,
            ...(command ? { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] } : {}),
          },
        };
      }
      case "photo": {
        const id = `photo-${userId}-${update_id}`;
        const sizes = [
          [90, 67],
          [320, 240],
          [1280, 960],
        ].map(([width, height], i) => ({ file_id: `${id}-${i}`, file_unique_id: `${id}-u${i}`, width, height }));
        return { update_id, message: { ...base, photo: sizes } };
      }
      case "press":
        return {
          update_id,
          callback_query: { id: `cbq-${update_id}`, from, message: action.message, chat_instance: `ci${userId}`, data: action.data },
        };
    }
  };

  const post = async (body: string): Promise<number> => {
    const answer = await httpRequest(options.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": options.secret },
      body,
    });
    const reply = await answer.body.text();
    if (String(answer.headers["content-type"] ?? "").startsWith("application/json")) api.performWebhookReply(reply);
    return answer.status;
  };

  /** A run's results: per step label and per step number of the conversation. */
  class Recorder {
    readonly byLabel = new Map<string, number[]>();
    readonly byStep = new Map<number, number[]>();
    readonly all: number[] = [];
    updates = 0;
    failedDeliveries = 0;
    record(action: Action, step: number, ms: number) {
      this.updates += 1;
      this.all.push(ms);
      const label = this.byLabel.get(action.label) ?? [];
      label.push(ms);
      this.byLabel.set(action.label, label);
      const byStep = this.byStep.get(step) ?? [];
      byStep.push(ms);
      this.byStep.set(step, byStep);
    }
  }

  /** Sends one action and returns the replies it got; `since` is when the update was due (open loop) or sent. */
  const deliver = async (
    conversation: Conversation,
    action: Action,
    step: number,
    since: number,
    recorder: Recorder,
  ): Promise<BotMessage[]> => {
    api.takeInbox(conversation.userId);
    const status = await post(JSON.stringify(updateFor(conversation.userId, action))).catch(() => 0);
    recorder.record(action, step, performance.now() - since);
    if (status !== 200) recorder.failedDeliveries += 1;
    const replies = api.takeInbox(conversation.userId);
    if (shows(replies, (text) => text === zh.errors.generic || text === zh.errors.unavailable)) outcomes.errorReplies += 1;
    return replies;
  };

  const summary = (recorder: Recorder, seconds: number, before: Outcomes) => ({
    seconds,
    updates: recorder.updates,
    updatesPerSecond: recorder.updates / seconds,
    failedDeliveries: recorder.failedDeliveries,
    latency: percentiles(recorder.all),
    steps: Object.fromEntries(
      [...recorder.byLabel].sort(([a], [b]) => a.localeCompare(b)).map(([label, samples]) => [label, percentiles(samples)]),
    ) as Record<string, Percentiles>,
    byStepNumber: Object.fromEntries(
      [...recorder.byStep].sort(([a], [b]) => a - b).map(([step, samples]) => [step, percentiles(samples)]),
    ) as Record<number, Percentiles>,
    outcomes: Object.fromEntries(
      Object.entries(outcomes).map(([key, value]) => [key, value - before[key as keyof Outcomes]]),
    ) as unknown as Outcomes,
  });

  return {
    outcomes,
    stuckSamples,
    /**
     * Closed loop: `concurrency` users, each starting a new conversation when
     * its last one ends, until `seconds` have passed or `conversations` ended;
     * measures the most the stack sustains.
     */
    async closedLoop(run: { mix: Mix; concurrency: number; seconds?: number; conversations?: number }) {
      const recorder = new Recorder();
      const before = { ...outcomes };
      const started = performance.now();
      const deadline = started + (run.seconds ?? Infinity) * 1000;
      let left = run.conversations ?? Infinity;
      const worker = async () => {
        while (performance.now() < deadline && left > 0) {
          left -= 1;
          const conversation = start(run.mix);
          let replies: BotMessage[] = [];
          for (let step = 1; ; step++) {
            const action = conversation.next(replies);
            if (!action) break;
            replies = await deliver(conversation, action, step, performance.now(), recorder);
          }
        }
      };
      await Promise.all(Array.from({ length: run.concurrency }, worker));
      return summary(recorder, (performance.now() - started) / 1000, before);
    },
    /**
     * Open loop: updates arrive at `rate` per second whatever the answers do,
     * each from a user whose last answer came back (a new user when none is
     * waiting), and latency counts from when the update was due, so a stall
     * shows up in the figures instead of quietly lowering the load.
     */
    async openLoop(run: { mix: Mix; rate: number; seconds: number }) {
      const recorder = new Recorder();
      const before = { ...outcomes };
      const ready: { conversation: Conversation; action: Action; step: number }[] = [];
      const total = Math.round(run.rate * run.seconds);
      const inFlight = new Set<Promise<void>>();
      const started = performance.now();
      let sent = 0;
      let shed = 0;
      const launch = (due: number) => {
        // A stack far below the offered rate would otherwise pile up minutes of work; arrivals
        // beyond this many unanswered updates are counted as shed instead of sent.
        if (inFlight.size >= MAX_OPEN_LOOP_IN_FLIGHT) {
          shed += 1;
          return;
        }
        let entry = ready.shift();
        if (!entry) {
          const conversation = start(run.mix);
          const action = conversation.next([]);
          if (!action) return;
          entry = { conversation, action, step: 1 };
        }
        const { conversation, action, step } = entry;
        const task = deliver(conversation, action, step, due, recorder).then((replies) => {
          const next = conversation.next(replies);
          if (next) ready.push({ conversation, action: next, step: step + 1 });
        });
        inFlight.add(task);
        void task.finally(() => inFlight.delete(task));
      };
      await new Promise<void>((resolve) => {
        const tick = () => {
          const now = performance.now();
          while (sent < total && started + (sent * 1000) / run.rate <= now) {
            launch(started + (sent * 1000) / run.rate);
            sent += 1;
          }
          if (sent >= total) resolve();
          else setTimeout(tick, 1);
        };
        tick();
      });
      const elapsed = (performance.now() - started) / 1000;
      await Promise.all(inFlight);
      const drainSeconds = (performance.now() - started) / 1000 - elapsed;
      return { ...summary(recorder, elapsed, before), offeredPerSecond: run.rate, shed, drainSeconds };
    },
  };
}

/** What {@link createLoad} returns. */
export type Load = ReturnType<typeof createLoad>;
/** The figures of one closed- or open-loop run. */
export type RunSummary = Awaited<ReturnType<Load["closedLoop"]>>;
