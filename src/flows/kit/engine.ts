import { z } from "zod";
import { catalogFor, type Catalog } from "../i18n/catalog.ts";
import { declaredCommands, helpText } from "./commands.ts";
import type { Flow, FlowContext, FlowId, FlowServices, Step } from "./flow.ts";
import { ENGINE_CHOICES, languagePicker, mainMenu } from "./menu.ts";
import { LOCALES, type InboundEvent, type InboundPayload, type Locale, type OutboundMessage } from "./messages.ts";

/** Bumped when the session's own shape changes; older sessions are discarded, not migrated. */
export const SESSION_VERSION = 1;

const flowSlot = z.object({ flow: z.string(), version: z.number().int(), state: z.unknown() });

const sessionSchema = z.object({
  v: z.literal(SESSION_VERSION),
  /** The language the user chose with /lang; null until they choose, then the channel's hint applies. */
  locale: z.enum(LOCALES).nullable(),
  active: flowSlot.nullable(),
  /** A resumable flow put aside (idle too long, or another flow started); its command resumes it. */
  suspended: flowSlot.nullable().default(null),
  lastActiveAt: z.number(),
});

/** What is stored per (channel, chat, user): the language and the flow in progress. */
export type Session = z.infer<typeof sessionSchema>;

/**
 * Reads stored session JSON. Anything unreadable (corrupt JSON, an older
 * session version, a wrong shape) yields `undefined`: the user starts afresh
 * instead of the bot crashing on state it cannot trust.
 */
export function decodeSession(raw: string | undefined): { session: Session | undefined; discarded: boolean } {
  if (raw === undefined) return { session: undefined, discarded: false };
  try {
    const parsed = sessionSchema.safeParse(JSON.parse(raw));
    return parsed.success ? { session: parsed.data, discarded: false } : { session: undefined, discarded: true };
  } catch {
    return { session: undefined, discarded: true };
  }
}

/**
 * The registered flows, by id. Their state types are erased here; the engine
 * re-validates stored state with each flow's schema before handing it back.
 */
export type FlowRegistry = { [K in FlowId]: Flow<unknown> };

export interface EngineDeps {
  flows: FlowRegistry;
  services: FlowServices;
  now: Date;
  /** A flow untouched for longer than this is dropped at the next message. */
  idleMs: number;
}

/** The next session and the replies to send, in order. */
export interface EngineResult {
  session: Session;
  replies: OutboundMessage[];
}

// A handoff chain longer than this is a bug in a flow; stop rather than loop.
const MAX_HANDOFFS = 3;

/**
 * One conversational step for one inbound event: universal commands and menu
 * buttons first, then the active flow, else the default flow for free input.
 * Pure apart from what flows do through their services; storage, locking and
 * sending happen outside.
 */
export async function runEngine(stored: Session | undefined, event: InboundEvent, deps: EngineDeps): Promise<EngineResult> {
  const session: Session = stored ?? { v: SESSION_VERSION, locale: null, active: null, suspended: null, lastActiveAt: deps.now.getTime() };
  const replies: OutboundMessage[] = [];
  const localeOf = (): Locale => session.locale ?? event.localeHint ?? "zh";
  const user = { channel: event.channel, userId: event.userId, chatId: event.chatId, chatType: event.chatType };
  const commands = declaredCommands(deps.flows);
  const contextOf = (): FlowContext => ({
    user,
    locale: localeOf(),
    t: catalogFor(localeOf()),
    services: deps.services,
    now: deps.now,
    origin: event.origin,
    commands,
  });

  if (session.suspended && !validSlot(session.suspended, deps.flows)) session.suspended = null;
  let active = session.active && validSlot(session.active, deps.flows);
  if (session.active && !active) {
    session.active = null;
    replies.push(text(contextOf().t.session.reset));
  }
  // Put a resumable flow aside (its draft is kept for /command), or drop any other.
  const setAside = (notice: (flowName: string, command: string) => string, otherwise: string | undefined) => {
    if (!active) return;
    if (active.flow.resume && active.flow.command) {
      session.suspended = session.active;
      replies.push(text(notice(contextOf().t.flowNames[active.flow.id], active.flow.command.name)));
    } else if (otherwise) {
      replies.push(text(otherwise));
    }
    session.active = null;
    active = undefined;
  };
  if (active && deps.now.getTime() - session.lastActiveAt > deps.idleMs) {
    setAside(contextOf().t.session.expiredKept, contextOf().t.session.expired);
  }

  const apply = async (step: Step<unknown>, flow: Flow<unknown>, depth: number): Promise<void> => {
    replies.push(...step.replies);
    if (step.type === "continue") session.active = { flow: flow.id, version: flow.version, state: step.state };
    else if (step.type === "done") session.active = null;
    else if (depth < MAX_HANDOFFS) {
      const next = deps.flows[step.flow];
      await apply(await next.start(contextOf(), step.input), next, depth + 1);
    } else {
      throw new Error(`Flow ${flow.id} handed off more than ${MAX_HANDOFFS} times in one step`);
    }
  };
  const startFlow = async (flow: Flow<unknown>, input?: InboundPayload) => {
    const current = active;
    if (current && current.flow.id === flow.id && !input && flow.resume) {
      await apply(await flow.resume(current.state, contextOf()), flow, 0);
      return;
    }
    setAside(contextOf().t.session.setAside, undefined);
    const kept = !input && session.suspended?.flow === flow.id ? validSlot(session.suspended, deps.flows) : undefined;
    if (kept?.flow.resume) {
      session.suspended = null;
      await apply(await kept.flow.resume(kept.state, contextOf()), flow, 0);
      return;
    }
    await apply(await flow.start(contextOf(), input), flow, 0);
  };

  const payload = event.payload;
  const t = (): Catalog => contextOf().t;
  // Staff see their own commands too; asking costs one lookup, so only /help asks.
  const help = async () => helpText(commands, localeOf(), (await deps.services.staff.find(user))?.role);
  const universal: UniversalContext = { session, replies, t, localeOf, help };
  if (payload.type === "command") {
    const flow = Object.values(deps.flows).find((f) => f.command?.name === payload.command);
    const deepLink = payload.command === "start" ? deepLinkFlow(deps.flows, payload.args.trim()) : undefined;
    if (deepLink) {
      await startFlow(deepLink.flow, { type: "text", text: deepLink.rest });
    } else if (flow) {
      const args = payload.args.trim();
      await startFlow(flow, args ? { type: "text", text: args } : undefined);
    } else {
      if (payload.command === "start") setAside(contextOf().t.session.setAside, undefined);
      await handleUniversalCommand(payload.command, payload.args, universal);
    }
  } else if (payload.type === "choice" && isEngineChoice(payload.value)) {
    const value = payload.value;
    if (value.startsWith(ENGINE_CHOICES.flowPrefix)) {
      // `flow:<id>` starts a flow; `flow:<id>:<argument>` starts it with the argument as a choice.
      const [id, ...argument] = value.slice(ENGINE_CHOICES.flowPrefix.length).split(":");
      const flow = flowById(deps.flows, id ?? "");
      if (flow) await startFlow(flow, argument.length > 0 ? { type: "choice", value: argument.join(":") } : undefined);
      else replies.push(text(t().errors.staleChoice));
    } else if (value.startsWith(ENGINE_CHOICES.languagePrefix)) {
      await handleUniversalCommand("lang", value.slice(ENGINE_CHOICES.languagePrefix.length), universal);
    } else if (value === ENGINE_CHOICES.help) {
      await handleUniversalCommand("help", "", universal);
    } else {
      setAside(contextOf().t.session.setAside, undefined);
      await handleUniversalCommand("start", "", universal);
    }
  } else if (active) {
    const current = active;
    await apply(await current.flow.onEvent(current.state, event, contextOf()), current.flow, 0);
  } else if (payload.type === "text") {
    await startFlow(deps.flows.freeText, payload);
  } else if (payload.type === "location") {
    await startFlow(deps.flows.lookup, payload);
  } else if (payload.type === "choice") {
    replies.push(text(t().errors.staleChoice), mainMenu(t(), localeOf()));
  } else {
    replies.push(mainMenu(t(), localeOf()));
  }

  session.lastActiveAt = deps.now.getTime();
  return { session, replies };
}

/** The flow a deep link's start payload is for, and the payload without its prefix. */
function deepLinkFlow(flows: FlowRegistry, payload: string): { flow: Flow<unknown>; rest: string } | undefined {
  const flow = Object.values(flows).find((f) => f.deepLinkPrefix !== undefined && payload.startsWith(f.deepLinkPrefix));
  return flow?.deepLinkPrefix === undefined ? undefined : { flow, rest: payload.slice(flow.deepLinkPrefix.length) };
}

function isEngineChoice(value: string): boolean {
  return (
    value === ENGINE_CHOICES.mainMenu ||
    value === ENGINE_CHOICES.help ||
    value.startsWith(ENGINE_CHOICES.flowPrefix) ||
    value.startsWith(ENGINE_CHOICES.languagePrefix)
  );
}

/** The flow and validated state of a stored slot; undefined when the flow is gone, changed or the state is unreadable. */
function validSlot(slot: z.infer<typeof flowSlot>, flows: FlowRegistry): { flow: Flow<unknown>; state: unknown } | undefined {
  const flow = flowById(flows, slot.flow);
  if (!flow || flow.version !== slot.version) return undefined;
  const parsed = flow.stateSchema.safeParse(slot.state);
  return parsed.success ? { flow, state: parsed.data } : undefined;
}

/**
 * The flow registered under `id`, which may come from a button value anyone can
 * forge or from stored JSON: only the registry's own keys count, never what every
 * object inherits (`constructor`, `__proto__`, `toString`…).
 */
function flowById(flows: FlowRegistry, id: string): Flow<unknown> | undefined {
  return Object.hasOwn(flows, id) ? (flows as Record<string, Flow<unknown>>)[id] : undefined;
}

// A Map, because the word is whatever the user typed after /lang.
const LANGUAGE_WORDS: ReadonlyMap<string, Locale> = new Map([
  ["zh", "zh"],
  ["cn", "zh"],
  ["中文", "zh"],
  ["chinese", "zh"],
  ["en", "en"],
  ["english", "en"],
  ["英文", "en"],
  ["英语", "en"],
]);

/** What the universal commands read and change: the session, the replies so far, the language and the /help text. */
interface UniversalContext {
  session: Session;
  replies: OutboundMessage[];
  t: () => Catalog;
  localeOf: () => Locale;
  help: () => Promise<string>;
}

/** The commands of UNIVERSAL_COMMANDS (kit/commands.ts); anything else is an unknown command. */
async function handleUniversalCommand(
  command: string,
  args: string,
  { session, replies, t, localeOf, help }: UniversalContext,
): Promise<void> {
  switch (command) {
    case "start":
      session.active = null;
      replies.push(mainMenu(t(), localeOf()));
      return;
    case "help":
      replies.push(text(await help()));
      return;
    case "cancel":
      replies.push(text(session.active || session.suspended ? t().cancel.done : t().cancel.nothing));
      session.active = null;
      session.suspended = null;
      return;
    case "lang": {
      const chosen = LANGUAGE_WORDS.get(args.trim().toLowerCase());
      if (!chosen) {
        replies.push(languagePicker(t()));
        return;
      }
      session.locale = chosen;
      replies.push(text(t().lang.set));
      if (!session.active) replies.push(mainMenu(t(), localeOf()));
      return;
    }
    default:
      replies.push(text(t().unknownCommand(command)));
  }
}

function text(value: string): OutboundMessage {
  return { type: "text", text: value };
}
