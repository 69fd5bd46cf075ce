import { z } from "zod";
import { httpRequest, type HttpAnswer } from "../../http/client.ts";
import { readCappedBody } from "../../media/download.ts";
import { ChannelFileError, type ChannelFileFetcher } from "../../media/photo-saver.ts";

/** What the composition root passes: the channel's own options. */
export interface TelegramFileOptions {
  token: string;
  /** Bot API root without a trailing slash, e.g. `https://api.telegram.org` or a fake's URL. */
  apiRoot: string;
}

const getFileAnswer = z.union([
  z.object({
    ok: z.literal(true),
    result: z.object({
      file_id: z.string(),
      file_size: z.number().int().nonnegative().optional(),
      // A relative path on Telegram's file server; anything that could climb out of it is refused.
      file_path: z
        .string()
        .regex(/^[A-Za-z0-9_.\-/]+$/)
        .refine((value) => !value.split("/").includes(".."))
        .optional(),
    }),
  }),
  z.object({ ok: z.literal(false), error_code: z.number().optional(), description: z.string().optional() }),
]);

const GET_FILE_TIMEOUT_MS = 30_000;
const DOWNLOAD_TIMEOUT_MS = 60_000;

/**
 * Downloads files users sent to the bot, the Bot API way: `getFile` tells the
 * size and a temporary path, then the bytes come from
 * `<apiRoot>/file/bot<token>/<path>`. A size that `getFile` reports over the
 * limit is refused without downloading; otherwise the download is cut off at
 * the limit. Two plain GETs: grammY adds nothing to them.
 * Errors name the step and Telegram's answer but never a URL, since both URLs
 * carry the token.
 */
export function createTelegramFileFetcher(options: TelegramFileOptions): ChannelFileFetcher {
  const { token, apiRoot } = options;
  return async (fileId, limits) => {
    const info = await getFile(`${apiRoot}/bot${token}/getFile?file_id=${encodeURIComponent(fileId)}`);
    if (!info.ok)
      throw new ChannelFileError("telegram", `getFile refused the file: ${info.error_code ?? "?"} ${info.description ?? ""}`.trim());
    if (info.result.file_size !== undefined && info.result.file_size > limits.maxBytes) return "tooLarge";
    if (!info.result.file_path) throw new ChannelFileError("telegram", "getFile gave no file path (the file may be too big for bots)");

    let response: HttpAnswer;
    try {
      response = await httpRequest(`${apiRoot}/file/bot${token}/${info.result.file_path}`, { timeoutMs: DOWNLOAD_TIMEOUT_MS });
    } catch (error) {
      throw new ChannelFileError("telegram", `file download failed: ${describeFailure(error)}`);
    }
    if (!response.ok) {
      await response.body.dump();
      throw new ChannelFileError("telegram", `file download answered HTTP ${response.status}`);
    }
    try {
      return await readCappedBody(response, limits.maxBytes);
    } catch (error) {
      throw new ChannelFileError("telegram", `file download broke off: ${describeFailure(error)}`);
    }
  };
}

async function getFile(url: string): Promise<z.infer<typeof getFileAnswer>> {
  let json: unknown;
  try {
    const response = await httpRequest(url, { timeoutMs: GET_FILE_TIMEOUT_MS });
    json = await response.body.json();
  } catch (error) {
    throw new ChannelFileError("telegram", `getFile failed: ${describeFailure(error)}`);
  }
  const parsed = getFileAnswer.safeParse(json);
  if (!parsed.success) throw new ChannelFileError("telegram", "getFile answered something that is not a Bot API file");
  return parsed.data;
}

// Only the error's kind and code: messages may quote the URL, which holds the token.
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return "unknown error";
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? `${error.name} ${code}` : error.name;
}
