import { type Api, GrammyError, InputFile } from "grammy";
import type { MediaReader } from "../../media/store.ts";
import type { TelegramSend } from "./outbound.ts";

/** A stored photo ready to upload. */
export interface LoadedPhoto {
  bytes: Buffer;
  mimeType: string;
}

/** The photos a plan needs, read from the media store before the first call; ids the store does not know are in `missing`. */
export interface LoadedPhotos {
  photos: ReadonlyMap<string, LoadedPhoto>;
  missing: string[];
}

/**
 * Reads every photo `sends` uploads, once each, before anything is sent: a
 * caller that must not send half a reply (the outbox) can then give up before
 * the first message. Without a media reader every photo is missing. Store
 * failures (the database is down) are thrown, not reported as missing.
 */
export async function loadPhotos(media: MediaReader | undefined, sends: readonly TelegramSend[]): Promise<LoadedPhotos> {
  const photos = new Map<string, LoadedPhoto>();
  const missing: string[] = [];
  for (const send of sends) {
    if (send.method !== "sendPhoto" || photos.has(send.mediaId) || missing.includes(send.mediaId)) continue;
    const stored = media && (await media.read(send.mediaId));
    if (stored) photos.set(send.mediaId, stored);
    else missing.push(send.mediaId);
  }
  return { photos, missing };
}

/** Where a call goes: the chat, and the forum topic when replying inside one. */
export interface SendTarget {
  chatId: number | string;
  threadId?: number | undefined;
}

/** Telegram's answers to an edit of a message that no longer exists or may no longer be edited. */
const UNEDITABLE = /message to edit not found|message can't be edited|MESSAGE_ID_INVALID/i;

function isBadRequest(error: unknown, description: RegExp): boolean {
  return error instanceof GrammyError && error.error_code === 400 && description.test(error.description);
}

/**
 * Performs one planned call and resolves with the id of the message it
 * delivered, or `undefined` when it delivered none (a photo missing from
 * `photos` without a caption). Bot API failures are thrown as grammY throws them.
 *
 * - A photo is uploaded from its bytes (multipart); a missing one becomes its
 *   caption as plain text, so a reply never stops at a lost file.
 * - An edit whose content equals the message's ("message is not modified") has
 *   done its job; one whose message was deleted or is too old to edit is sent
 *   as a new message instead, whose id is then the result.
 */
export async function performSend(
  api: Api,
  target: SendTarget,
  request: TelegramSend,
  photos: ReadonlyMap<string, LoadedPhoto>,
): Promise<number | undefined> {
  const thread = target.threadId === undefined ? {} : { message_thread_id: target.threadId };
  switch (request.method) {
    case "sendMessage": {
      const sent = await api.sendMessage(target.chatId, request.text, {
        ...thread,
        ...(request.replyMarkup ? { reply_markup: request.replyMarkup } : {}),
      });
      return sent.message_id;
    }
    case "sendPhoto": {
      const photo = photos.get(request.mediaId);
      if (!photo) {
        if (request.caption === undefined) return undefined;
        return (await api.sendMessage(target.chatId, request.caption, thread)).message_id;
      }
      const file = new InputFile(photo.bytes, `${request.mediaId}.${photo.mimeType.split("/")[1] ?? "jpeg"}`);
      const sent = await api.sendPhoto(target.chatId, file, {
        ...thread,
        ...(request.caption === undefined ? {} : { caption: request.caption }),
      });
      return sent.message_id;
    }
    case "sendDocument": {
      const file = new InputFile(Buffer.from(request.contentBase64, "base64"), request.fileName);
      return (await api.sendDocument(target.chatId, file, { ...thread, caption: request.caption })).message_id;
    }
    case "editMessageText": {
      const markup = request.replyMarkup ? { reply_markup: request.replyMarkup } : {};
      try {
        await api.editMessageText(target.chatId, request.messageId, request.text, markup);
        return request.messageId;
      } catch (error) {
        if (isBadRequest(error, /message is not modified/i)) return request.messageId;
        if (!isBadRequest(error, UNEDITABLE)) throw error;
        return (await api.sendMessage(target.chatId, request.text, { ...thread, ...markup })).message_id;
      }
    }
  }
}
