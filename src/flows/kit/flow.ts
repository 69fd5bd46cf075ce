import type { GridDirectory } from "../../domain/grid/directory.ts";
import type { ClassesService } from "../../domain/classes/classes.ts";
import type { CompactService } from "../../domain/compact/compact.ts";
import type { MerchantReports } from "../../domain/reports/merchant-answers.ts";
import type { ReportsService } from "../../domain/reports/service.ts";
import type { StaffDesk } from "../../domain/staff/desk.ts";
import type { StaffRegistry } from "../../domain/staff/registry.ts";
import type { StaffSignIn } from "../../domain/staff/sign-in.ts";
import type { Catalog } from "../i18n/catalog.ts";
import type { CommandDeclaration, CommandEntry } from "./commands.ts";
import type { InboundEvent, InboundPayload, Locale, OutboundMessage } from "./messages.ts";

/** Every conversation Linli can hold; the engine looks flows up by this id. */
export type FlowId =
  | "lookup"
  | "report"
  | "myReports"
  | "feedback"
  | "joinStaff"
  | "invite"
  | "staff"
  | "openCases"
  | "case"
  | "deadLetters"
  | "webSignIn"
  | "groupAlerts"
  | "classes"
  | "myClasses"
  | "academy"
  | "talent"
  | "talentSearch"
  | "shop"
  | "compact"
  | "merchants"
  | "shopReports"
  | "freeText";

/** The outcome of keeping a photo a user sent; refusals carry what to tell the user. */
export type SavePhotoResult =
  | { ok: true; mediaId: string }
  | { ok: false; reason: "tooLarge"; maxBytes: number }
  | { ok: false; reason: "notImage" }
  | { ok: false; reason: "unavailable" };

/**
 * Copies a photo from the channel it arrived on into Linli's media store, so
 * staff on any channel can see it. Implemented by the bot layer per channel.
 */
export interface PhotoSaver {
  save(channel: InboundEvent["channel"], photo: Extract<InboundPayload, { type: "photo" }>): Promise<SavePhotoResult>;
}

/**
 * Links that open a conversation with Linli on a channel, carrying a start
 * payload (Telegram: `https://t.me/<bot>?start=<payload>`). Undefined when the
 * channel is off or its address is not known yet.
 */
export interface DeepLinks {
  telegram(payload: string): string | undefined;
  /** The web chat opened with the payload (`<public URL>/?start=<payload>`); undefined until the HTTP server is listening. */
  web(payload: string): string | undefined;
  /** The web console's sign-in address for a one-time token (`<public URL>/console/sign-in?token=<token>`); undefined until the HTTP server is listening. */
  consoleSignIn(token: string): string | undefined;
}

/**
 * {@link DeepLinks} from the addresses as far as they are known: the web
 * chat's base URL (ending in "/") and the Telegram bot's username, each read
 * when a link is made, since both become known only once the server listens
 * and the bot has met Telegram.
 */
export function deepLinks(known: { webChatUrl(): string | undefined; telegramUsername(): string | undefined }): DeepLinks {
  return {
    telegram: (payload) => {
      const username = known.telegramUsername();
      return username ? `https://t.me/${username}?start=${payload}` : undefined;
    },
    web: (payload) => {
      const url = known.webChatUrl();
      return url ? `${url}?start=${encodeURIComponent(payload)}` : undefined;
    },
    consoleSignIn: (token) => {
      const url = known.webChatUrl();
      return url ? `${url}console/sign-in?token=${encodeURIComponent(token)}` : undefined;
    },
  };
}

/** The domain services a flow may use; nothing else reaches the outside world. */
export interface FlowServices {
  grid: GridDirectory;
  reports: ReportsService;
  /** The merchant side of reports: a shop's reports and its answers. */
  merchantReports: MerchantReports;
  classes: ClassesService;
  /** The street compact: shops, invitations, acknowledgements and tallies. */
  compact: CompactService;
  photos: PhotoSaver;
  staff: StaffRegistry;
  /** One-time web console sign-in links (/web) and the sessions they start. */
  signIn: StaffSignIn;
  desk: StaffDesk;
  links: DeepLinks;
  budgets: OriginBudgets;
  /** The town's IANA zone (config TIME_ZONE): every date and time a flow shows or reads is local to it. */
  timeZone: string;
}

/** Allowances shared by everyone behind one origin (see InboundEvent.origin). */
export interface OriginBudgets {
  /** Counts one class sign-up from `origin`; false when that origin's allowance is used up for now. */
  takeSignUp(origin: string): Promise<boolean>;
}

/** What a flow gets besides its state and the event: who is talking, in which language, and the services. */
export interface FlowContext {
  user: { channel: InboundEvent["channel"]; userId: string; chatId: string; chatType: InboundEvent["chatType"] };
  locale: Locale;
  t: Catalog;
  services: FlowServices;
  now: Date;
  /** The event's origin, when its channel gives one. */
  origin: string | undefined;
  /** Every command Linli answers, for flows that tell people which commands they have (see kit/commands.ts). */
  commands: readonly CommandEntry[];
}

/**
 * The result of one step of a flow: go on with a new state, finish, or pass the
 * user to another flow (optionally with text for it to start from). Replies are
 * always sent, in order, whatever the branch.
 */
export type Step<S> =
  | { type: "continue"; state: S; replies: OutboundMessage[] }
  | { type: "done"; replies: OutboundMessage[] }
  | { type: "handoff"; flow: FlowId; input?: InboundPayload; replies: OutboundMessage[] };

/** The part of a zod schema the engine needs to validate stored flow state. */
export interface StateSchema<S> {
  safeParse(value: unknown): { success: true; data: S } | { success: false };
}

/**
 * A channel-agnostic conversation. `version` changes whenever the meaning of the
 * state changes, so state saved by an older version is discarded rather than
 * misread; `stateSchema` validates stored state before it is trusted.
 */
export interface Flow<S> {
  readonly id: FlowId;
  readonly version: number;
  readonly stateSchema: StateSchema<S>;
  /**
   * The slash command that starts this flow from anywhere, and who it is for:
   * menus, /help and the docs list it from here (see kit/commands.ts).
   */
  readonly command?: CommandDeclaration;
  /**
   * A deep link's start payload beginning with this prefix (`/start staff-ABC…`)
   * starts this flow with the rest of the payload as text.
   */
  readonly deepLinkPrefix?: string;
  /** Starts the flow; `input` is what the user already sent (e.g. the question that led here). */
  start(context: FlowContext, input?: InboundPayload): Promise<Step<S>>;
  /**
   * Present for flows whose state is worth keeping (a half-written report): when
   * the user wanders off or goes idle the engine keeps the state, and the flow's
   * command later calls this to pick up where they left off.
   */
  resume?(state: S, context: FlowContext): Promise<Step<S>>;
  onEvent(state: S, event: InboundEvent, context: FlowContext): Promise<Step<S>>;
}
