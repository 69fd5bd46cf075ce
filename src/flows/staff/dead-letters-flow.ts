import { z } from "zod";
import type { DeadLetter } from "../../domain/staff/desk.ts";
import type { Catalog } from "../i18n/catalog.ts";
import type { Flow } from "../kit/flow.ts";
import { startFlowChoice } from "../kit/menu.ts";
import type { Locale } from "../kit/messages.ts";
import { townTime } from "../report/view.ts";
import { finish } from "./common.ts";

const stateSchema = z.object({});

const MAX_LISTED = 10;
/** Errors can be long HTML pages turned into text; a line is enough to judge. */
const MAX_ERROR_CHARS = 160;
const RETRY_PREFIX = "retry:";

function recipientText(recipient: DeadLetter["recipient"], t: Catalog): string {
  switch (recipient.type) {
    case "group":
      return recipient.name;
    case "resident":
      return t.staff.deadLetters.resident;
    case "chat":
      return t.staff.deadLetters.chat(recipient.chatId);
  }
}

function line(index: number, letter: DeadLetter, t: Catalog, locale: Locale, timeZone: string): string {
  const error =
    letter.lastError === null
      ? t.staff.deadLetters.noError
      : letter.lastError.length > MAX_ERROR_CHARS
        ? `${letter.lastError.slice(0, MAX_ERROR_CHARS)}…`
        : letter.lastError;
  return t.staff.deadLetters.line(
    index,
    townTime(letter.createdAt, locale, timeZone),
    letter.kind,
    recipientText(letter.recipient, t),
    letter.attempts,
    error,
  );
}

/**
 * /deadletters (admins, private chat): messages the outbox gave up on, newest
 * first, with why; each can be queued again, or all at once.
 */
export const deadLettersFlow: Flow<z.infer<typeof stateSchema>> = {
  id: "deadLetters",
  version: 1,
  stateSchema,
  command: { name: "deadletters", audience: "admins" },

  async start(context, input) {
    const { t, locale, user, services } = context;
    if (user.chatType !== "private") return finish(t.staff.privateOnly);
    if (input?.type === "choice" && input.value.startsWith(RETRY_PREFIX)) {
      const which = input.value.slice(RETRY_PREFIX.length);
      const result = await services.desk.retryDeadLetters(user, which === "all" ? "all" : [which]);
      return finish(result.type === "retried" ? t.staff.deadLetters.retried(result.count) : t.staff.adminOnly);
    }
    const result = await services.desk.deadLetters(user, MAX_LISTED);
    if (result.type === "notAllowed") return finish(t.staff.adminOnly);
    if (result.total === 0) return finish(t.staff.deadLetters.empty);
    const lines = result.letters.map((letter, i) => line(i + 1, letter, t, locale, services.timeZone));
    return {
      type: "done",
      replies: [
        {
          type: "choices",
          text: [t.staff.deadLetters.title(result.letters.length, result.total), ...lines].join("\n"),
          options: [
            ...result.letters.map((letter, i) => ({
              label: t.staff.deadLetters.retry(i + 1),
              value: `${startFlowChoice("deadLetters")}:${RETRY_PREFIX}${letter.id}`,
            })),
            { label: t.staff.deadLetters.retryAll, value: `${startFlowChoice("deadLetters")}:${RETRY_PREFIX}all` },
          ],
        },
      ],
    };
  },

  async onEvent() {
    return { type: "done", replies: [] };
  },
};
