import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "../../../paths.ts";

/** Raised at start-up when the chat page cannot be served under its strict policy. */
export class ChatPageError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = "ChatPageError";
  }
}

/** The chat page, ready to serve: its bytes and the Content-Security-Policy that admits exactly its inline code. */
export interface ChatPage {
  html: string;
  contentSecurityPolicy: string;
}

const PAGE_FILE = pathToFileURL(path.join(PROJECT_ROOT, "src/bot/channels/web/chat.html"));

/** Where the page learns the upload limit; filled in at load, outside the hashed script. */
const MAX_PHOTO_BYTES_SLOT = '<meta name="linli-max-photo-bytes" content="">';

/**
 * Reads `chat.html` (kept as a real HTML file so editors check and highlight it)
 * once at start and derives the policy from it. The page is static, so hashes
 * of its one inline `<style>` and one inline `<script>` allow exactly that code
 * and nothing else, with no per-request nonce to thread through. Anything the
 * page would load from elsewhere is refused by the policy. The one value filled
 * in, the photo upload limit, sits in a `<meta>` tag so the hashes do not
 * depend on configuration.
 */
export function loadChatPage(options: { maxPhotoBytes: number; file?: URL }): ChatPage {
  const file = options.file ?? PAGE_FILE;
  const template = readFileSync(file, "utf8");
  if (!template.includes(MAX_PHOTO_BYTES_SLOT)) throw new ChatPageError(file.pathname, `expected the slot ${MAX_PHOTO_BYTES_SLOT} for the upload limit`);
  const html = template.replace(MAX_PHOTO_BYTES_SLOT, `<meta name="linli-max-photo-bytes" content="${Math.floor(options.maxPhotoBytes)}">`);
  const scriptHash = hashOfOnly(html, "script", file);
  const styleHash = hashOfOnly(html, "style", file);
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src '${scriptHash}'`,
    `style-src '${styleHash}'`,
    // Photo replies come from this server's /api/media/…; data: shows the user's own photo before upload.
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return { html, contentSecurityPolicy };
}

function hashOfOnly(html: string, tag: "script" | "style", file: URL): string {
  const blocks = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))];
  if (blocks.length !== 1 || blocks[0]?.[1] === undefined) {
    throw new ChatPageError(file.pathname, `expected exactly one inline <${tag}> without attributes, found ${blocks.length}`);
  }
  return `sha256-${createHash("sha256").update(blocks[0][1], "utf8").digest("base64")}`;
}
