import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Sql } from "../../db/sql.ts";
import type { Logger } from "../../log.ts";

/** An accepted image format: what staff browsers and every channel can show. */
export interface ImageType {
  mimeType: "image/jpeg" | "image/png" | "image/webp" | "image/gif";
  extension: "jpg" | "png" | "webp" | "gif";
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// HEIC is deliberately absent: Telegram turns photos into JPEG, iOS converts HEIC
// to JPEG when a browser picks a photo, and staff browsers cannot display HEIC;
// such a file is refused as not an image and the user is asked for another.
const SIGNATURES: readonly (ImageType & { matches: (bytes: Buffer) => boolean })[] = [
  { mimeType: "image/jpeg", extension: "jpg", matches: (b) => b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { mimeType: "image/png", extension: "png", matches: (b) => b.length > PNG_SIGNATURE.length && b.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE) },
  { mimeType: "image/gif", extension: "gif", matches: (b) => b.length > 6 && ["GIF87a", "GIF89a"].includes(b.toString("latin1", 0, 6)) },
  { mimeType: "image/webp", extension: "webp", matches: (b) => b.length > 12 && b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WEBP" },
];

/**
 * The image type of `bytes` judged by their leading magic bytes alone. A file
 * name or a declared MIME type is whatever the sender chose, so neither is
 * consulted; `undefined` means "not an image we accept".
 */
export function detectImage(bytes: Buffer): ImageType | undefined {
  const found = SIGNATURES.find((signature) => signature.matches(bytes));
  return found && { mimeType: found.mimeType, extension: found.extension };
}

/** What {@link MediaStore.put} did with some bytes. */
export type PutResult = { ok: true; mediaId: string } | { ok: false; reason: "tooLarge"; maxBytes: number } | { ok: false; reason: "notImage" };

/** Raised when an image that passed every check cannot be written to disk or recorded; keeps the content hash for the log. */
export class MediaStoreError extends Error {
  constructor(
    readonly sha256: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (sha256 ${sha256})`, options);
    this.name = "MediaStoreError";
  }
}

/** Report photos on disk, one file and one `Media` row per distinct content. */
export interface MediaStore {
  /** The largest image accepted, in bytes; channels use it to refuse early and to cap downloads. */
  readonly maxBytes: number;
  /**
   * Keeps an image and returns its media id. The same bytes always give the
   * same id (one row, one file), so a retried upload or a photo sent twice
   * costs nothing. Refuses anything over `maxBytes` and anything whose bytes
   * are not JPEG, PNG, WebP or GIF. Throws {@link MediaStoreError} when the disk
   * or the database fails.
   */
  put(bytes: Buffer): Promise<PutResult>;
  /** Whether `mediaId` names a stored image; lets a channel that uploads first refer to it later. */
  has(mediaId: string): Promise<boolean>;
  /** The image and its detected type, or `undefined` for an unknown id or a file gone from disk. */
  read(mediaId: string): Promise<{ bytes: Buffer; mimeType: string } | undefined>;
}

/**
 * The one thing channels need from the store to send a stored photo: its bytes
 * by media id. Senders take this instead of the whole store so they cannot
 * write to it.
 */
export type MediaReader = Pick<MediaStore, "read">;

/** Options of {@link createMediaStore}. */
export interface MediaStoreOptions {
  /** The folder holding the files (by default `DATA_DIR/media`); created when missing. */
  root: string;
  /** The database through its driver: a photo is stored on the step that receives it (decision record 0005). */
  sql: Sql;
  maxBytes: number;
  logger: Logger;
}

/**
 * A content-addressed folder: an image lives at `<root>/<first two hex digits
 * of its SHA-256>/<sha256>.<ext>`, which spreads files over 256 folders and
 * makes identical photos one file. A file is written under a temporary name,
 * flushed and renamed, so a crash never leaves half an image under a real name;
 * the `Media` row is created after the file exists, and the unique index on the
 * hash makes two processes storing the same photo at once share one row. The
 * file is written before the database is asked whether the photo is known: a
 * new photo, nearly every one, then costs one statement instead of two, and a
 * photo sent again rewrites identical bytes under the same name.
 */
export function createMediaStore(options: MediaStoreOptions): MediaStore {
  const { root, sql, maxBytes, logger } = options;

  // The folder is made when the file cannot be opened for want of it: once per folder, not once per photo.
  async function openCreatingFolder(file: string) {
    try {
      return await open(file, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      await mkdir(path.dirname(file), { recursive: true });
      return open(file, "wx");
    }
  }

  async function writeAtomically(relative: string, bytes: Buffer, sha256: string): Promise<void> {
    const file = path.join(root, relative);
    const temporary = `${file}.${randomUUID()}.tmp`;
    try {
      const handle = await openCreatingFolder(temporary);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new MediaStoreError(sha256, `could not write ${relative}`, { cause: error });
    }
  }

  const idOf = async (sha256: string) => (await sql.query<{ id: string }>(`SELECT "id" FROM "Media" WHERE "sha256" = $1`, [sha256]))[0]?.id;

  // The unique hash decides between two processes storing the same photo at once: the insert that
  // loses does nothing, and the row that won is read instead. One statement when nobody races, and
  // no error to tell apart (PGlite reports a unique violation unlike pg).
  async function recordOnce(row: { sha256: string; mimeType: string; sizeBytes: number; path: string }): Promise<string> {
    const [inserted] = await sql.query<{ id: string }>(
      `INSERT INTO "Media" ("id", "sha256", "mimeType", "sizeBytes", "path", "createdAt") VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ("sha256") DO NOTHING RETURNING "id"`,
      [randomUUID(), row.sha256, row.mimeType, row.sizeBytes, row.path, new Date()],
    );
    if (inserted) return inserted.id;
    const winner = await idOf(row.sha256);
    if (winner === undefined) throw new MediaStoreError(row.sha256, "the row that won the insert is gone");
    return winner;
  }

  return {
    maxBytes,
    async put(bytes) {
      if (bytes.length > maxBytes) return { ok: false, reason: "tooLarge", maxBytes };
      const image = detectImage(bytes);
      if (!image) return { ok: false, reason: "notImage" };
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const relative = path.posix.join(sha256.slice(0, 2), `${sha256}.${image.extension}`);
      await writeAtomically(relative, bytes, sha256);
      try {
        const mediaId = await recordOnce({ sha256, mimeType: image.mimeType, sizeBytes: bytes.length, path: relative });
        logger.debug("media stored", { mediaId, mimeType: image.mimeType, sizeBytes: bytes.length });
        return { ok: true, mediaId };
      } catch (error) {
        throw new MediaStoreError(sha256, "could not record the stored image", { cause: error });
      }
    },
    async has(mediaId) {
      return (await sql.query(`SELECT 1 FROM "Media" WHERE "id" = $1`, [mediaId])).length > 0;
    },
    async read(mediaId) {
      const [row] = await sql.query<{ path: string; mimeType: string }>(`SELECT "path", "mimeType" FROM "Media" WHERE "id" = $1`, [mediaId]);
      if (!row) return undefined;
      try {
        return { bytes: await readFile(path.join(root, row.path)), mimeType: row.mimeType };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        logger.error("a stored image is missing from disk", { mediaId, path: row.path });
        return undefined;
      }
    },
  };
}
