import type { PhotoSaver } from "../../flows/kit/flow.ts";
import type { ChannelId } from "../../flows/kit/messages.ts";
import type { Logger } from "../../log.ts";
import type { MediaStore } from "./store.ts";

/**
 * Downloads a file from a channel, reading at most `maxBytes` (a larger file is
 * abandoned mid-transfer, never read whole).
 */
export type ChannelFileFetcher = (fileId: string, maxBytes: number) => Promise<Buffer | "tooLarge">;

/** Raised by fetchers when the channel cannot hand over a file (gone, API error). */
export class ChannelFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ChannelFileError";
  }
}

/**
 * Copies photos from the channel they arrived on into the media store, so staff
 * on any channel can see them. Refuses what the channel already declares too
 * large before downloading anything.
 */
export function createPhotoSaver(options: { store: MediaStore; fetchers: Partial<Record<ChannelId, ChannelFileFetcher>>; logger: Logger }): PhotoSaver {
  const { store, fetchers, logger } = options;
  return {
    async save(channel, photo) {
      if (photo.sizeBytes !== undefined && photo.sizeBytes > store.maxBytes) return { ok: false, reason: "tooLarge", maxBytes: store.maxBytes };
      const fetcher = fetchers[channel];
      if (!fetcher) return { ok: false, reason: "unavailable" };
      let bytes: Buffer | "tooLarge";
      try {
        bytes = await fetcher(photo.fileId, store.maxBytes);
      } catch (error) {
        logger.warn("could not fetch a photo from its channel", { channel, error });
        return { ok: false, reason: "unavailable" };
      }
      if (bytes === "tooLarge") return { ok: false, reason: "tooLarge", maxBytes: store.maxBytes };
      const stored = await store.put(bytes);
      if (stored.ok) return stored;
      return stored.reason === "tooLarge" ? { ok: false, reason: "tooLarge", maxBytes: store.maxBytes } : { ok: false, reason: "notImage" };
    },
  };
}

/** Reads a response body up to `maxBytes`, cancelling the transfer once it is exceeded. */
export async function readCapped(response: Response, maxBytes: number): Promise<Buffer | "tooLarge"> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    return "tooLarge";
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return "tooLarge";
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}
