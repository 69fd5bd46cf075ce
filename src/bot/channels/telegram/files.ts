import { ChannelFileError, readCapped, type ChannelFileFetcher } from "../../media/photo-saver.ts";

/**
 * Downloads files users sent to the bot: `getFile` tells the size and path,
 * then the file is read from `<apiRoot>/file/bot<token>/<path>` with a byte cap.
 * Errors never carry the token (it is part of both URLs).
 */
export function createTelegramFileFetcher(options: { token: string; apiRoot: string }): ChannelFileFetcher {
  const { token, apiRoot } = options;
  return async (fileId, maxBytes) => {
    let info: { ok: boolean; result?: { file_path?: string; file_size?: number }; description?: string };
    try {
      const response = await fetch(`${apiRoot}/bot${token}/getFile?file_id=${encodeURIComponent(fileId)}`, { signal: AbortSignal.timeout(30_000) });
      info = (await response.json()) as typeof info;
    } catch (error) {
      throw new ChannelFileError(`Telegram getFile failed: ${(error as Error).name}`);
    }
    if (!info.ok || !info.result?.file_path) throw new ChannelFileError(`Telegram getFile refused: ${info.description ?? "no file path"}`);
    if (info.result.file_size !== undefined && info.result.file_size > maxBytes) return "tooLarge";
    try {
      const response = await fetch(`${apiRoot}/file/bot${token}/${info.result.file_path}`, { signal: AbortSignal.timeout(60_000) });
      if (!response.ok) throw new ChannelFileError(`Telegram file download answered ${response.status}`);
      return await readCapped(response, maxBytes);
    } catch (error) {
      if (error instanceof ChannelFileError) throw error;
      throw new ChannelFileError(`Telegram file download failed: ${(error as Error).name}`);
    }
  };
}
