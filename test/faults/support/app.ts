import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../../../src/config.ts";
import { openDatabase } from "../../../src/db/database.ts";
import type { Catalog } from "../../../src/flows/i18n/catalog.ts";
import type { OutboundMessage } from "../../../src/flows/kit/messages.ts";
import { startLinli, type RunningLinli } from "../../../src/app.ts";
import { shownText } from "../../support/conversation.ts";
import { SAMPLE_TOWN_FILE } from "../../support/town.ts";
import { collectingLogger } from "./logs.ts";

/**
 * Starts the real app in this process, exactly as `npm start` wires it, on the
 * environment given (plus a fresh DATA_DIR, port 0 and the sample town), with
 * every log line collected under `name` for the final log scan.
 */
export async function startApp(name: string, env: Record<string, string>): Promise<RunningLinli> {
  const config = loadConfig({
    DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-fault-app-")),
    PORT: "0",
    TOWN_DATA_FILE: SAMPLE_TOWN_FILE,
    LOG_LEVEL: "debug",
    ...env,
  });
  return startLinli(config, { logger: collectingLogger(name, config) });
}

/** One answer of `POST /api/chat`: the HTTP status and the replies, as the page receives them. */
export interface WebAnswer {
  status: number;
  replies: OutboundMessage[];
  /** Every text the resident reads in the replies, joined by newlines. */
  text: string;
}

/**
 * A resident in the web chat, talking to a running app over HTTP. It keeps the
 * last replies so a button can be pressed by (part of) its label, as a person
 * would press it.
 */
export function webResident(httpUrl: string, options: { locale?: "zh" | "en" } = {}) {
  const clientId = `fault-${randomUUID().slice(0, 12)}`;
  let last: OutboundMessage[] = [];
  const send = async (message: unknown): Promise<WebAnswer> => {
    const response = await fetch(`${httpUrl}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        clientId,
        messageId: randomUUID().replaceAll("-", ""),
        ...(options.locale ? { locale: options.locale } : {}),
        message,
      }),
    });
    const body = (await response.json()) as { replies?: OutboundMessage[] };
    const replies = body.replies ?? [];
    if (response.status === 200) last = replies;
    return { status: response.status, replies, text: shownText(replies) };
  };
  const optionValue = (label: string, replies: OutboundMessage[] = last): string => {
    const found = replies
      .flatMap((reply) => (reply.type === "choices" ? reply.options : []))
      .find((option) => option.label.includes(label));
    if (!found) throw new Error(`no button "${label}" in ${JSON.stringify(shownText(replies))}`);
    return found.value;
  };
  return {
    clientId,
    say: (text: string) => send({ type: "text", text }),
    /** Presses the button whose label contains `label` among the last successful replies. */
    press: (label: string) => send({ type: "choice", value: optionValue(label) }),
    /** Sends a button's value again, as a page still showing an old button does. */
    pressValue: (value: string) => send({ type: "choice", value }),
    optionValue,
    get last() {
      return last;
    },
  };
}

/** `GET /healthz` of a running app: its status code and body. */
export async function health(httpUrl: string): Promise<{ status: number; body: { database: { ok: boolean }; sessions: { ok: boolean } } }> {
  const response = await fetch(`${httpUrl}/healthz`);
  return { status: response.status, body: (await response.json()) as { database: { ok: boolean }; sessions: { ok: boolean } } };
}

/** Polls `check` until it returns a value other than `undefined`, or fails after `timeoutMs` saying what was awaited. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Subscribes group chats to every new report of the town, as an admin's /alerts
 * in the group would (`managedInChat`, so no import removes them): a Telegram
 * group by chat id, a WeCom robot by its webhook URL.
 */
export async function subscribeWholeTown(
  databaseUrl: string,
  destinations: { channel: "telegram" | "wecom"; address: string }[],
): Promise<void> {
  const db = await openDatabase({ kind: "postgres", url: databaseUrl });
  try {
    await db.prisma.alertDestination.createMany({
      data: destinations.map((destination, n) => ({
        townCode: "wujing",
        code: `fault-${destination.channel}-${n}`,
        name: `故障测试群 ${n}`,
        channel: destination.channel,
        address: destination.address,
        districtCodes: [],
        roadCommitteeCodes: [],
        categoryCodes: [],
        managedInChat: true,
      })),
    });
  } finally {
    await db.close();
  }
}

/**
 * A resident describes a street problem in free text and answers every
 * question the report flow asks with the quickest button (the suggested
 * category, no photos, no shop, no call back, a new report even if similar
 * ones are open) until the summary with its confirm button is shown.
 */
export async function reportUntilSummary(resident: ReturnType<typeof webResident>, text: string, t: Catalog): Promise<WebAnswer> {
  let answer = await resident.say(text);
  const steps: [string, string][] = [
    [t.report.yes, t.report.yes],
    [t.report.askPhotos, t.report.photosSkip],
    [t.report.askShop, t.report.noShop],
    [t.report.askContact, t.report.contactNo],
    [t.report.duplicatesFound, t.report.submitAnyway],
  ];
  for (let turn = 0; turn < 8 && !answer.text.includes(t.report.confirm); turn++) {
    const step = steps.find(([shown]) => answer.text.includes(shown));
    if (!step) throw new Error(`the report flow asked something unexpected: ${answer.text}`);
    answer = await resident.press(step[1]);
  }
  if (!answer.text.includes(t.report.confirm)) throw new Error(`no summary after the questions: ${answer.text}`);
  return answer;
}
