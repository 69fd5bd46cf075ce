import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Bilingual, GridIndex } from "../../../domain/grid/index.ts";
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

/**
 * The town the page serves, as its header and input hint name it: read from
 * the town's data each time the page is served, so a re-imported or another
 * town's file shows its own names with no change to the page.
 */
export interface ChatPageTown {
  name: Bilingual;
  /** A neighbourhood as residents name it, for the example question in the input; undefined for a town without one. */
  neighbourhood: Bilingual | undefined;
}

/** The chat page, ready to serve: its bytes for a town and the Content-Security-Policy that admits exactly its inline code. */
export interface ChatPage {
  html(town: ChatPageTown): string;
  contentSecurityPolicy: string;
}

const PAGE_FILE = pathToFileURL(path.join(PROJECT_ROOT, "src/bot/channels/web/chat.html"));

/** Where the page learns the upload limit; filled in at load, outside the hashed script. */
const MAX_PHOTO_BYTES_SLOT = '<meta name="linli-max-photo-bytes" content="">';

/** Where the page learns the town's words; filled in when served, outside the hashed script. */
const TOWN_SLOTS = {
  townZh: "linli-town-zh",
  townEn: "linli-town-en",
  neighbourhoodZh: "linli-neighbourhood-zh",
  neighbourhoodEn: "linli-neighbourhood-en",
} as const;

const emptySlot = (name: string) => `<meta name="${name}" content="">`;

/**
 * Reads `chat.html` (kept as a real HTML file so editors check and highlight it)
 * once at start and derives the policy from it. The page is static, so hashes
 * of its one inline `<style>` and one inline `<script>` allow exactly that code
 * and nothing else, with no per-request nonce to thread through. Anything the
 * page would load from elsewhere is refused by the policy. The values filled
 * in (the photo upload limit at load, the town's names when served) sit in
 * `<meta>` tags, escaped, so the hashes depend on neither configuration nor data.
 */
export function loadChatPage(options: { maxPhotoBytes: number; file?: URL }): ChatPage {
  const file = options.file ?? PAGE_FILE;
  const template = readFileSync(file, "utf8");
  if (!template.includes(MAX_PHOTO_BYTES_SLOT))
    throw new ChatPageError(file.pathname, `expected the slot ${MAX_PHOTO_BYTES_SLOT} for the upload limit`);
  for (const name of Object.values(TOWN_SLOTS)) {
    if (!template.includes(emptySlot(name)))
      throw new ChatPageError(file.pathname, `expected the slot ${emptySlot(name)} for the town's words`);
  }
  const page = template.replace(MAX_PHOTO_BYTES_SLOT, `<meta name="linli-max-photo-bytes" content="${Math.floor(options.maxPhotoBytes)}">`);
  const scriptHash = hashOfOnly(page, "script", file);
  const styleHash = hashOfOnly(page, "style", file);
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
  const html = (town: ChatPageTown) => {
    const values: Record<keyof typeof TOWN_SLOTS, string> = {
      townZh: town.name.zh,
      townEn: town.name.en,
      neighbourhoodZh: town.neighbourhood?.zh ?? "",
      neighbourhoodEn: town.neighbourhood?.en ?? "",
    };
    let filled = page;
    for (const [key, name] of Object.entries(TOWN_SLOTS) as [keyof typeof TOWN_SLOTS, string][]) {
      // A function, so a "$" in the data is not read as a replacement pattern.
      filled = filled.replace(emptySlot(name), () => `<meta name="${name}" content="${escapeAttribute(values[key])}">`);
    }
    return filled;
  };
  return { html, contentSecurityPolicy };
}

/** The page's words of the town whose grid this is: its name and its first neighbourhood (see GridIndex.examples). */
export function chatPageTown(grid: GridIndex): ChatPageTown {
  return { name: grid.snapshot.town.name, neighbourhood: grid.examples().neighbourhood };
}

/** Text safe inside a double-quoted HTML attribute: the town file is data, never markup. */
function escapeAttribute(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function hashOfOnly(html: string, tag: "script" | "style", file: URL): string {
  const blocks = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))];
  if (blocks.length !== 1 || blocks[0]?.[1] === undefined) {
    throw new ChatPageError(file.pathname, `expected exactly one inline <${tag}> without attributes, found ${blocks.length}`);
  }
  return `sha256-${createHash("sha256").update(blocks[0][1], "utf8").digest("base64")}`;
}
