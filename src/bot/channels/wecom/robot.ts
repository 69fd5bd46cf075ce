import { createHash } from "node:crypto";
import type { OutboundMessage } from "../../../flows/kit/messages.ts";
import { httpRequest, type HttpAnswer } from "../../http/client.ts";
import type { MediaReader } from "../../media/store.ts";
import type { ChannelSender, SendResult } from "../../notify/outbox-worker.ts";

/** WeCom refuses markdown messages above 4096 bytes of UTF-8. */
export const WECOM_MARKDOWN_LIMIT_BYTES = 4096;
/** WeCom refuses image messages whose image (before base64) is larger than 2 MB. */
export const WECOM_IMAGE_LIMIT_BYTES = 2 * 1024 * 1024;
/** The only image formats a robot's image message takes. */
const WECOM_IMAGE_TYPES = new Set(["image/jpeg", "image/png"]);
/** A group robot may send 20 messages a minute. */
const PER_ROBOT_PER_MINUTE = 20;

/**
 * Said in the markdown in place of a photo the robot cannot send. Fixed and
 * bilingual because a robot group's locale is not known here and the reason
 * belongs to WeCom's limits, not to any flow.
 */
export const PHOTO_TOO_LARGE_NOTE = "（照片超过 2 MB，未能发送 / photo over 2 MB not sent）";
/** Said in the markdown in place of a photo in a format robots do not take (WebP, GIF); see {@link PHOTO_TOO_LARGE_NOTE}. */
export const PHOTO_FORMAT_NOTE =
  "（企业微信只能发送 JPG 或 PNG 照片，此照片未能发送 / WeCom sends only JPG or PNG photos; this one was not sent）";

// errcode values of the robot API: 45009 is "api freq out of limit"; 93000
// (invalid webhook URL) and 93004 (robot removed) mean the robot is gone.
const RATE_LIMITED = 45009;
const ROBOT_GONE = new Set([93000, 93004]);

/** Why a photo of a row is not sent as an image message. */
type PhotoProblem = "tooLarge" | "format";

/** Options of {@link createWecomRobotSender}. */
export interface WecomRobotSenderOptions {
  /** Upper bound for one robot call; default 15 s. */
  timeoutMs?: number;
  /** Where photos are read from, by media id. Without it every photo counts as missing. */
  media?: MediaReader | undefined;
}

/**
 * Sends to WeCom group robots (企业微信群机器人): the outbox row's chatId is the
 * robot's webhook URL, which holds its key, so errors never repeat the URL.
 *
 * A row becomes one markdown message within WeCom's size limit (photo captions
 * included), then one `image` message per photo (`base64` and `md5` of the
 * raw bytes), each a call of its own and, like every photo, one message of the
 * worker's rate budget. Robots cannot edit: a `replace` arrives as new
 * markdown. A photo over {@link WECOM_IMAGE_LIMIT_BYTES} or in a format other
 * than JPG/PNG is not sent; the markdown says so with {@link PHOTO_TOO_LARGE_NOTE}
 * or {@link PHOTO_FORMAT_NOTE}. A photo missing from the media store fails the
 * row before anything is sent, naming the media id.
 */
export function createWecomRobotSender(options: WecomRobotSenderOptions = {}): ChannelSender {
  const post = async (webhookUrl: string, body: object): Promise<SendResult> => {
    let response: HttpAnswer;
    try {
      response = await httpRequest(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        timeoutMs: options.timeoutMs ?? 15_000,
      });
    } catch (error) {
      return { type: "failed", error: `WeCom robot unreachable: ${(error as Error).name}` };
    }
    if (!response.ok) {
      await response.body.dump();
      return { type: "failed", error: `WeCom robot answered HTTP ${response.status}` };
    }
    const answer = (await response.body.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
    if (answer.errcode === 0) return { type: "sent" };
    if (answer.errcode === RATE_LIMITED) return { type: "retryAfter", seconds: 60 };
    if (answer.errcode !== undefined && ROBOT_GONE.has(answer.errcode))
      return { type: "recipientGone", error: `WeCom robot gone (errcode ${answer.errcode})` };
    return { type: "failed", error: `WeCom robot errcode ${answer.errcode ?? "missing"}` };
  };

  return {
    perDestinationPerMinute: PER_ROBOT_PER_MINUTE,
    perSecondOverall: 50,
    async send(webhookUrl, messages): Promise<SendResult> {
      const images: { bytes: Buffer }[] = [];
      const problems = new Map<string, PhotoProblem>();
      const missing: string[] = [];
      try {
        for (const message of messages) {
          if (message.type !== "photo") continue;
          const stored = options.media && (await options.media.read(message.mediaId));
          if (!stored) missing.push(message.mediaId);
          else if (!WECOM_IMAGE_TYPES.has(stored.mimeType)) problems.set(message.mediaId, "format");
          else if (stored.bytes.length > WECOM_IMAGE_LIMIT_BYTES) problems.set(message.mediaId, "tooLarge");
          else images.push({ bytes: stored.bytes });
        }
      } catch (error) {
        return {
          type: "failed",
          error: `could not read a photo from the media store: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
      if (missing.length > 0) return { type: "failed", error: `photo ${missing.join(", ")} is not in the media store` };

      const markdown = await post(webhookUrl, { msgtype: "markdown", markdown: { content: toWecomMarkdown(messages, problems) } });
      if (markdown.type !== "sent") return markdown;
      for (const image of images) {
        const result = await post(webhookUrl, {
          msgtype: "image",
          image: { base64: image.bytes.toString("base64"), md5: createHash("md5").update(image.bytes).digest("hex") },
        });
        if (result.type !== "sent") return result;
      }
      return { type: "sent" };
    },
  };
}

/**
 * One markdown text for a group robot. User text is escaped so a resident's
 * words cannot become links or formatting; a link becomes a markdown link; a
 * photo contributes its caption (the image follows as its own message) and,
 * when `photoProblems` names it, the note saying why it is not sent; the
 * result is cut on a character boundary to fit {@link WECOM_MARKDOWN_LIMIT_BYTES}.
 */
export function toWecomMarkdown(messages: OutboundMessage[], photoProblems: ReadonlyMap<string, PhotoProblem> = new Map()): string {
  const parts = messages.map((message): string => {
    switch (message.type) {
      case "text":
      case "notice":
      case "locationRequest":
        return escape(message.text);
      // Robots take files only through a separate upload, and nothing queued for groups is a file: its caption says what it was.
      case "document":
        return escape(message.caption);
      case "choices":
      case "replace":
        return [escape(message.text), ...message.options.map((option, i) => `${i + 1}. ${escape(option.label)}`)].join("\n");
      case "link":
        return `${escape(message.text)}\n[${escape(message.label)}](${message.url})`;
      case "photo": {
        const problem = photoProblems.get(message.mediaId);
        const note = problem === "tooLarge" ? PHOTO_TOO_LARGE_NOTE : problem === "format" ? PHOTO_FORMAT_NOTE : undefined;
        return [message.caption === undefined ? undefined : escape(message.caption), note].filter((line) => line !== undefined).join("\n");
      }
    }
  });
  return fitBytes(parts.filter((part) => part !== "").join("\n\n"), WECOM_MARKDOWN_LIMIT_BYTES);
}

function escape(text: string): string {
  return text.replace(/([\\`*_[\]()#>~<|])/g, "\\$1");
}

function fitBytes(text: string, limit: number): string {
  if (Buffer.byteLength(text, "utf8") <= limit) return text;
  const ellipsis = "…";
  let out = "";
  let used = Buffer.byteLength(ellipsis, "utf8");
  for (const character of text) {
    const size = Buffer.byteLength(character, "utf8");
    if (used + size > limit) break;
    out += character;
    used += size;
  }
  return out + ellipsis;
}
