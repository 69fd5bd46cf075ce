import { httpRequest, type HttpAnswer } from "../../http/client.ts";
import { readCappedBody } from "../../media/download.ts";
import { ChannelFileError, type ChannelFileFetcher } from "../../media/photo-saver.ts";
import { createWecomCrypto, type WecomCryptoOptions } from "./crypto.ts";

/** Options of {@link createWecomImageFetcher}: the bot's crypto settings. */
export interface WecomImageFetcherOptions extends WecomCryptoOptions {
  /** Upper bound of one download; default 30 s. */
  timeoutMs?: number;
}

/**
 * Downloads the image of an intelligent-bot image message. Its "file id" is
 * the URL WeCom put in the (authenticated) callback, valid for five minutes;
 * the bytes there are AES-256-CBC encrypted with the bot's key and padded to
 * 32 bytes. The transfer is cut off once it exceeds the limit plus one padding
 * block, and the decrypted image is checked against the limit again. Errors
 * name the step, never the URL.
 */
export function createWecomImageFetcher(options: WecomImageFetcherOptions): ChannelFileFetcher {
  const crypto = createWecomCrypto(options);
  const timeoutMs = options.timeoutMs ?? 30_000;
  return async (url, limits) => {
    let response: HttpAnswer;
    try {
      response = await httpRequest(url, { timeoutMs });
    } catch (error) {
      throw new ChannelFileError("wecom", `image download failed: ${nameOf(error)}`);
    }
    if (!response.ok) {
      await response.body.dump();
      throw new ChannelFileError("wecom", `image download answered HTTP ${response.status}`);
    }
    let encrypted: Buffer | "tooLarge";
    try {
      encrypted = await readCappedBody(response, limits.maxBytes + 32);
    } catch (error) {
      throw new ChannelFileError("wecom", `image download broke off: ${nameOf(error)}`);
    }
    if (encrypted === "tooLarge") return "tooLarge";
    const image = crypto.openFile(encrypted);
    if (!image) throw new ChannelFileError("wecom", "the downloaded image did not decrypt");
    return image.length > limits.maxBytes ? "tooLarge" : image;
  };
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : "unknown error";
}
