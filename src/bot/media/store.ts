import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { sql, type Sql } from "../../db/sql.ts";
import type { Media } from "../../generated/prisma/client.ts";
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
  {
    mimeType: "image/png",
    extension: "png",
    matches: (b) => b.length > PNG_SIGNATURE.length && b.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE),
  },
  { mimeType: "image/gif", extension: "gif", matches: (b) => b.length > 6 && ["GIF87a", "GIF89a"].includes(b.toString("latin1", 0, 6)) },
  {
    mimeType: "image/webp",
    extension: "webp",
    matches: (b) => b.length > 12 && b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WEBP",
  },
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
export type PutResult =
  | { ok: true; mediaId: string }
  | { ok: false; reason: "tooLarge"; maxBytes: number }
  | { ok: false; reason: "notImage" }
  /** The uploader (or their address) already holds `limit` uploads not attached to any report. */
  | { ok: false; reason: "uploaderQuota"; limit: number; retryAfterSeconds: number }
  /** The folder is at its size bound, or the unattached uploads of everyone together are at theirs. */
  | { ok: false; reason: "storageFull" };

/** Why {@link MediaStore.put} kept nothing. */
type Refusal = Exclude<PutResult, { ok: true }>;

/** Who sent an upload: its web visitor and address. Only hashes of both are kept, and only to count. */
export interface Uploader {
  clientId: string;
  address: string;
}

/** How full the store is, for `/healthz`. */
export interface MediaUsage {
  bytesUsed: number;
  maxTotalBytes: number;
  /** Images attached to no report (yet): uploads in progress, and abandoned ones until they are swept. */
  unattached: number;
  unattachedBytes: number;
}

/** Bounds of the store; an upload over any of them is refused, and unattached uploads do not stay. */
export interface MediaLimits {
  /** The whole folder: no new image once the stored ones take this many bytes. */
  maxTotalBytes: number;
  /** Unattached images of everyone together, in bytes. */
  unattachedMaxBytes: number;
  /** Unattached images one web visitor (client id) may hold. */
  unattachedPerClient: number;
  /** Unattached images all visitors from one address may hold together. */
  unattachedPerAddress: number;
  /** An image still attached to no report this long after it was stored is deleted. */
  unattachedTtlMs: number;
}

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
   * are not JPEG, PNG, WebP or GIF, and a new image over the store's
   * {@link MediaLimits} (an `uploader`'s own quotas apply only when given;
   * the same bytes again always pass, they cost nothing). The bounds are
   * checked before writing, so concurrent uploads may pass them by at most
   * their own number. Throws {@link MediaStoreError} when the disk
   * or the database fails.
   */
  put(bytes: Buffer, uploader?: Uploader): Promise<PutResult>;
  /** Whether `mediaId` names a stored image; lets a channel that uploads first refer to it later. */
  has(mediaId: string): Promise<boolean>;
  /** The image and its detected type, or `undefined` for an unknown id or a file gone from disk. */
  read(mediaId: string): Promise<{ bytes: Buffer; mimeType: string } | undefined>;
  /** How full the store is. */
  usage(): Promise<MediaUsage>;
  /**
   * Deletes the images stored more than `unattachedTtlMs` ago that no report
   * or report event refers to, rows first and then files; resolves with how
   * many it deleted. Idempotent and safe to run from several processes at once:
   * each row is deleted by one statement that checks again that nothing refers
   * to it, so a photo attached meanwhile stays.
   */
  sweepUnattached(): Promise<number>;
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
  limits: MediaLimits;
  logger: Logger;
  /** The clock ages are measured on; tests inject one. */
  now?: () => Date;
}

/** Rows a sweep deletes at most, so one pass never holds the database long; the next pass takes the rest. */
const SWEEP_BATCH = 500;

// A row is unattached when no report photo and no timeline entry refers to it.
const UNATTACHED = sql`NOT EXISTS (SELECT 1 FROM "ReportPhoto" p WHERE p."mediaId" = m."id") AND NOT EXISTS (SELECT 1 FROM "ReportEvent" e WHERE e."photoId" = m."id")`;

/** Only hashes of who uploaded are kept: enough to count, nothing to read back. */
const uploaderHash = (kind: string, value: string) => createHash("sha256").update(`${kind}:${value}`).digest("hex").slice(0, 32);

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
  const { root, sql: db, maxBytes, limits, logger } = options;
  const now = options.now ?? (() => new Date());

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

  const idOf = async (sha256: string) =>
    (await db.query<Pick<Media, "id">>(sql`SELECT "id" FROM "Media" WHERE "sha256" = ${sha256}`))[0]?.id;

  /**
   * Records the image unless it would cross a bound, in one statement: the
   * folder's bytes, and among rows young enough to be unattached uploads
   * (older ones are swept), the unattached bytes and this uploader's count.
   * The unique hash decides between two processes storing the same photo at
   * once: the insert that loses does nothing, and the row that won is read
   * instead (PGlite reports a unique violation unlike pg, so none is raised).
   * Known bytes pass every bound: they take no more room.
   */
  async function recordWithinBounds(row: {
    sha256: string;
    mimeType: string;
    sizeBytes: number;
    path: string;
    uploadedBy: string | null;
    uploadedFrom: string | null;
  }): Promise<{ mediaId: string } | Refusal> {
    const at = now();
    const since = new Date(at.getTime() - limits.unattachedTtlMs);
    const [result] = await db.query<{
      id: Media["id"] | null;
      totalBytes: string;
      unattachedBytes: string;
      byClient: number;
      fromAddress: number;
    }>(
      sql`WITH usage AS (
         SELECT (SELECT COALESCE(SUM("sizeBytes"), 0) FROM "Media") AS "totalBytes", COALESCE(SUM(m."sizeBytes"), 0) AS "unattachedBytes",
           (COUNT(*) FILTER (WHERE m."uploadedBy" = ${row.uploadedBy}))::int AS "byClient",
           (COUNT(*) FILTER (WHERE m."uploadedFrom" = ${row.uploadedFrom}))::int AS "fromAddress"
         FROM "Media" m WHERE m."createdAt" > ${since} AND ${UNATTACHED}
       ), inserted AS (
         INSERT INTO "Media" ("id", "sha256", "mimeType", "sizeBytes", "path", "createdAt", "uploadedBy", "uploadedFrom")
         SELECT ${randomUUID()}, ${row.sha256}, ${row.mimeType}, ${row.sizeBytes}::int, ${row.path}, ${at}, ${row.uploadedBy}, ${row.uploadedFrom}
         FROM usage
         WHERE (${row.uploadedBy}::text IS NULL OR usage."byClient" < ${limits.unattachedPerClient}::int)
           AND (${row.uploadedFrom}::text IS NULL OR usage."fromAddress" < ${limits.unattachedPerAddress}::int)
           AND usage."totalBytes" + ${row.sizeBytes}::int <= ${limits.maxTotalBytes}::bigint
           AND usage."unattachedBytes" + ${row.sizeBytes}::int <= ${limits.unattachedMaxBytes}::bigint
         ON CONFLICT ("sha256") DO NOTHING RETURNING "id"
       )
       SELECT (SELECT "id" FROM inserted) AS "id", "totalBytes"::text, "unattachedBytes"::text, "byClient", "fromAddress" FROM usage`,
    );
    if (result?.id) return { mediaId: result.id };
    const known = await idOf(row.sha256);
    if (known !== undefined) return { mediaId: known };
    if (!result) throw new MediaStoreError(row.sha256, "the bounds of the store could not be read");
    const retryAfterSeconds = Math.ceil(limits.unattachedTtlMs / 1000);
    if (row.uploadedBy !== null && result.byClient >= limits.unattachedPerClient)
      return { ok: false, reason: "uploaderQuota", limit: limits.unattachedPerClient, retryAfterSeconds };
    if (row.uploadedFrom !== null && result.fromAddress >= limits.unattachedPerAddress)
      return { ok: false, reason: "uploaderQuota", limit: limits.unattachedPerAddress, retryAfterSeconds };
    logger.warn("an image was refused: the media store is at its bound", {
      totalBytes: Number(result.totalBytes),
      unattachedBytes: Number(result.unattachedBytes),
    });
    return { ok: false, reason: "storageFull" };
  }

  return {
    maxBytes,
    async put(bytes, uploader) {
      if (bytes.length > maxBytes) return { ok: false, reason: "tooLarge", maxBytes };
      const image = detectImage(bytes);
      if (!image) return { ok: false, reason: "notImage" };
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const uploadedBy = uploader ? uploaderHash("client", uploader.clientId) : null;
      const uploadedFrom = uploader ? uploaderHash("address", uploader.address) : null;
      const relative = path.posix.join(sha256.slice(0, 2), `${sha256}.${image.extension}`);
      await writeAtomically(relative, bytes, sha256);
      let recorded: { mediaId: string } | Refusal;
      try {
        recorded = await recordWithinBounds({
          sha256,
          mimeType: image.mimeType,
          sizeBytes: bytes.length,
          path: relative,
          uploadedBy,
          uploadedFrom,
        });
      } catch (error) {
        throw new MediaStoreError(sha256, "could not record the stored image", { cause: error });
      }
      if (!("mediaId" in recorded)) {
        // Written before the bounds were known, so that a new photo costs one statement; a refused one leaves nothing.
        await rm(path.join(root, relative), { force: true });
        return recorded;
      }
      logger.debug("media stored", { mediaId: recorded.mediaId, mimeType: image.mimeType, sizeBytes: bytes.length });
      return { ok: true, mediaId: recorded.mediaId };
    },
    async has(mediaId) {
      return (await db.query(sql`SELECT 1 FROM "Media" WHERE "id" = ${mediaId}`)).length > 0;
    },
    async read(mediaId) {
      const [row] = await db.query<Pick<Media, "path" | "mimeType">>(sql`SELECT "path", "mimeType" FROM "Media" WHERE "id" = ${mediaId}`);
      if (!row) return undefined;
      try {
        return { bytes: await readFile(path.join(root, row.path)), mimeType: row.mimeType };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        logger.error("a stored image is missing from disk", { mediaId, path: row.path });
        return undefined;
      }
    },
    async usage() {
      const [row] = await db.query<{ bytesUsed: string; unattached: number; unattachedBytes: string }>(
        sql`SELECT (SELECT COALESCE(SUM("sizeBytes"), 0) FROM "Media")::text AS "bytesUsed",
           COUNT(*)::int AS "unattached", COALESCE(SUM(m."sizeBytes"), 0)::text AS "unattachedBytes"
         FROM "Media" m WHERE ${UNATTACHED}`,
      );
      return {
        bytesUsed: Number(row?.bytesUsed ?? 0),
        maxTotalBytes: limits.maxTotalBytes,
        unattached: row?.unattached ?? 0,
        unattachedBytes: Number(row?.unattachedBytes ?? 0),
      };
    },
    async sweepUnattached() {
      const before = new Date(now().getTime() - limits.unattachedTtlMs);
      const candidates = await db.query<Pick<Media, "id">>(
        sql`SELECT m."id" FROM "Media" m WHERE m."createdAt" <= ${before} AND ${UNATTACHED} ORDER BY m."createdAt" LIMIT ${SWEEP_BATCH}`,
      );
      let deleted = 0;
      for (const { id } of candidates) {
        // One row a statement: a report attaching this photo at the same moment makes only this delete fail.
        const gone = await db
          .query<
            Pick<Media, "path">
          >(sql`DELETE FROM "Media" m WHERE m."id" = ${id} AND m."createdAt" <= ${before} AND ${UNATTACHED} RETURNING m."path"`)
          .catch((error: unknown) => {
            logger.warn("an unattached image could not be deleted; the next sweep tries again", { mediaId: id, error });
            return [];
          });
        for (const row of gone) {
          await rm(path.join(root, row.path), { force: true });
          deleted += 1;
        }
      }
      if (deleted > 0) logger.info("deleted images no report used", { deleted });
      return deleted;
    },
  };
}
