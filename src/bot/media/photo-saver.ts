import type { PhotoSaver } from "../../flows/kit/flow.ts";
import type { ChannelId } from "../../flows/kit/messages.ts";
import type { Logger } from "../../log.ts";
import type { MediaStore } from "./store.ts";

/** What a fetcher may transfer for one file. */
export interface FetchLimits {
  /** Bytes at most; the transfer must stop once it is crossed, never read the file whole. */
  maxBytes: number;
}

/**
 * Downloads one file a user sent on a channel, by that channel's file id.
 * Answers `"tooLarge"` as soon as the channel declares or delivers more than
 * `limits.maxBytes`; throws {@link ChannelFileError} when the channel cannot
 * hand the file over (unknown id, API error, network failure).
 */
export type ChannelFileFetcher = (fileId: string, limits: FetchLimits) => Promise<Buffer | "tooLarge">;

/**
 * Raised by fetchers when a channel cannot hand over a file. Its message names
 * the step and the channel's answer but never a URL, because channel URLs carry
 * the bot token.
 */
export class ChannelFileError extends Error {
  constructor(
    readonly channel: ChannelId,
    message: string,
  ) {
    super(message);
    this.name = "ChannelFileError";
  }
}

/** Options of {@link createPhotoSaver}. */
export interface PhotoSaverOptions {
  store: MediaStore;
  /** How to download a file from each channel; a channel without one answers `unavailable`. */
  fetchers: Partial<Record<ChannelId, ChannelFileFetcher>>;
  /**
   * Channels whose clients upload photos into the store before sending them, so
   * their file id already is a media id (the web chat's `POST /api/upload`).
   * For these the saver only checks that the media exists.
   */
  preStored?: readonly ChannelId[];
  logger: Logger;
}

/**
 * Copies photos from the channel they arrived on into the media store, so staff
 * on any channel can see them. The size limit is the store's: a photo the
 * channel already declares too large is refused before anything is downloaded,
 * and a download is cut off once it crosses the limit. Whatever goes wrong on
 * the channel's side is logged and answered `unavailable`; the user can simply
 * send the photo again.
 */
export function createPhotoSaver(options: PhotoSaverOptions): PhotoSaver {
  const { store, fetchers, logger } = options;
  const preStored = new Set(options.preStored ?? []);
  const tooLarge = { ok: false, reason: "tooLarge", maxBytes: store.maxBytes } as const;
  const unavailable = { ok: false, reason: "unavailable" } as const;

  return {
    async save(channel, photo) {
      if (photo.sizeBytes !== undefined && photo.sizeBytes > store.maxBytes) return tooLarge;
      if (preStored.has(channel)) return (await store.has(photo.fileId)) ? { ok: true, mediaId: photo.fileId } : unavailable;
      const fetcher = fetchers[channel];
      if (!fetcher) {
        logger.error("no way to fetch photos from this channel", { channel });
        return unavailable;
      }
      try {
        const bytes = await fetcher(photo.fileId, { maxBytes: store.maxBytes });
        if (bytes === "tooLarge") return tooLarge;
        const stored = await store.put(bytes);
        if (stored.ok) return { ok: true, mediaId: stored.mediaId };
        // A full store is the operator's to mend; for the resident it is a photo that cannot be kept now.
        return stored.reason === "tooLarge" || stored.reason === "notImage" ? stored : unavailable;
      } catch (error) {
        // A channel hiccup is routine; a failing disk or database needs an operator.
        if (error instanceof ChannelFileError) logger.warn("could not fetch a photo from its channel", { channel, error });
        else logger.error("could not store a photo", { channel, error });
        return unavailable;
      }
    },
  };
}
