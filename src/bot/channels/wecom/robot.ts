import type { OutboundMessage } from "../../../flows/kit/messages.ts";
import type { ChannelSender, SendResult } from "../../notify/outbox-worker.ts";

/** WeCom refuses markdown messages above 4096 bytes of UTF-8. */
export const WECOM_MARKDOWN_LIMIT_BYTES = 4096;
/** A group robot may send 20 messages a minute. */
const PER_ROBOT_PER_MINUTE = 20;

// errcode values of the robot API: 45009 is "api freq out of limit"; 93000
// (invalid webhook URL) and 93004 (robot removed) mean the robot is gone.
const RATE_LIMITED = 45009;
const ROBOT_GONE = new Set([93000, 93004]);

/**
 * Sends to WeCom group robots (企业微信群机器人): the outbox row's chatId is the
 * robot's webhook URL, which holds its key, so errors never repeat the URL.
 * Messages become one markdown message within WeCom's size limit.
 */
export function createWecomRobotSender(options: { timeoutMs?: number } = {}): ChannelSender {
  return {
    perDestinationPerMinute: PER_ROBOT_PER_MINUTE,
    perSecondOverall: 50,
    async send(webhookUrl, messages): Promise<SendResult> {
      let response: Response;
      try {
        response = await fetch(webhookUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ msgtype: "markdown", markdown: { content: toWecomMarkdown(messages) } }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        });
      } catch (error) {
        return { type: "failed", error: `WeCom robot unreachable: ${(error as Error).name}` };
      }
      if (!response.ok) return { type: "failed", error: `WeCom robot answered HTTP ${response.status}` };
      const body = (await response.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
      if (body.errcode === 0) return { type: "sent" };
      if (body.errcode === RATE_LIMITED) return { type: "retryAfter", seconds: 60 };
      if (body.errcode !== undefined && ROBOT_GONE.has(body.errcode)) return { type: "recipientGone", error: `WeCom robot gone (errcode ${body.errcode})` };
      return { type: "failed", error: `WeCom robot errcode ${body.errcode ?? "missing"}` };
    },
  };
}

/**
 * One markdown text for a group robot. User text is escaped so a resident's
 * words cannot become links or formatting; a link becomes a markdown link; the
 * result is cut on a character boundary to fit {@link WECOM_MARKDOWN_LIMIT_BYTES}.
 */
export function toWecomMarkdown(messages: OutboundMessage[]): string {
  const parts = messages.map((message) => {
    switch (message.type) {
      case "text":
        return escape(message.text);
      case "choices":
        return [escape(message.text), ...message.options.map((option, i) => `${i + 1}. ${escape(option.label)}`)].join("\n");
      case "link":
        return `${escape(message.text)}\n[${escape(message.label)}](${message.url})`;
      case "photo":
        return escape(message.caption ?? "");
      case "locationRequest":
        return escape(message.text);
    }
  });
  return fitBytes(parts.join("\n\n"), WECOM_MARKDOWN_LIMIT_BYTES);
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
