import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { createMediaStore, type MediaLimits, type MediaStore } from "../../src/bot/media/store.ts";
import { createPhotoSaver } from "../../src/bot/media/photo-saver.ts";
import type { Database } from "../../src/db/database.ts";
import { GridDirectory } from "../../src/domain/grid/directory.ts";
import { importTownData } from "../../src/domain/town/import.ts";
import type { ReportsOptions } from "../../src/domain/reports/reports.ts";
import type { ChatIdentity, DuplicateCheck, PublicReportView, ReportView } from "../../src/domain/reports/service.ts";
import type { DeepLinks, PhotoSaver } from "../../src/flows/kit/flow.ts";
import { createServices, type TownServices } from "../../src/services.ts";
import { readTownFile } from "../../src/towndata/town-file.ts";
import { DEVELOPMENT_MESSAGES_FILE, readLabelledMessages } from "../../src/towndata/labelled-messages.ts";
import { freshDatabase, type DATABASE_KINDS } from "./databases.ts";
import { testLogger } from "./logs.ts";
import { loadConfig } from "../../src/config.ts";
import type { WorkingTimeSettings } from "../../src/domain/time/working-time.ts";
import type { WebSessionStore } from "../../src/domain/staff/web-sessions.ts";
import { createMemoryLimiter } from "../../src/bot/limits/limiter.ts";

/** The zone the town's dates are read in when TIME_ZONE is not set, as production loads it. */
export const TOWN_TIME_ZONE = loadConfig({}).workingTime.timeZone;

/** The working week an unconfigured town keeps (config defaults), with no holidays: what app.ts builds before the town file's. */
export const DEFAULT_WORKING_TIME: WorkingTimeSettings = (() => {
  const { timeZone, workingDays, workingHours } = loadConfig({}).workingTime;
  return { timeZone, workingDays, workingHours, holidays: [], extraWorkingDays: [] };
})();

/** The labelled messages production learns from, so tests read free text as the running bot does. */
export const LABELLED_MESSAGES = await readLabelledMessages(DEVELOPMENT_MESSAGES_FILE);

/** The sample town shipped in data/, the one `npm start` loads. */
export const SAMPLE_TOWN_FILE = path.resolve(import.meta.dirname, "../../data/wujing.sample.yaml");

/**
 * The sample town's words as prompts quote them: its name, its first road (by
 * code) at the first number of its first stretch, and the first example message
 * of its first category.
 */
export const SAMPLE_WORDS = {
  town: "吴泾镇",
  address: { zh: "宝秀路1号", en: "No. 1, Baoxiu Road" },
  problem: "店门口又支了张桌子卖水果",
} as const;

/** The second, invented town of test/fixtures: another town's file, to show nothing of the sample town is built in. */
export const SECOND_TOWN_FILE = path.resolve(import.meta.dirname, "../fixtures/town/second-town.yaml");

/**
 * Every name of the sample town a resident could recognise, read from its file
 * (town, office, roads, neighbourhoods, district committees, courses, compact,
 * the reference prefix with its dash, the academy): what must never reach the
 * chat or the page of another town.
 */
export async function sampleTownWords(): Promise<string[]> {
  const { data } = await readTownFile(SAMPLE_TOWN_FILE);
  return [
    ...new Set([
      data.town.name,
      data.town.name.replace(/镇$/, ""),
      data.town.nameEn,
      data.town.nameEn.replace(/ Town$/, ""),
      data.town.officeName,
      data.town.officeNameEn,
      `${data.town.referencePrefix}-`,
      ...data.roads.flatMap((road) => [road.name, road.nameEn, ...road.aliases]),
      ...data.neighbourhoods.flatMap((neighbourhood) => [neighbourhood.name, neighbourhood.nameEn, ...neighbourhood.aliases]),
      ...data.districts.flatMap((district) => [district.committeeName, district.committeeNameEn]),
      ...data.courses.flatMap((course) => [course.name, course.nameEn]),
      ...(data.compact ? [data.compact.title, data.compact.titleEn] : []),
      // The academy as the news report and the sample file name it.
      "好社区",
      "治理学院",
    ]),
  ];
}

/** A fresh database of the given kind with the sample town imported, and its directory. */
export async function openSampleTown(kind: (typeof DATABASE_KINDS)[number] = "pglite"): Promise<{ db: Database; grid: GridDirectory }> {
  const { db, grid } = await openTown(SAMPLE_TOWN_FILE, kind);
  return { db, grid };
}

/** A fresh database of the given kind with the town of `townFile` imported, its directory and its code. */
async function openTown(
  townFile: string,
  kind: (typeof DATABASE_KINDS)[number] = "pglite",
): Promise<{ db: Database; grid: GridDirectory; townCode: string }> {
  const db = await freshDatabase(kind);
  const file = await readTownFile(townFile);
  await importTownData(db.prisma, file.data, file.hash, TOWN_TIME_ZONE);
  return { db, grid: await GridDirectory.open(db.prisma, file.data.town.code, LABELLED_MESSAGES), townCode: file.data.town.code };
}

/** The sample town with every service the flows use, built as startLinli builds them (see {@link townServices}). */
export interface SampleServices {
  db: Database;
  grid: GridDirectory;
  reports: TownServices["reports"];
  media: MediaStore;
  /** The folder the media store writes to. */
  mediaRoot: string;
  staff: TownServices["staff"];
  services: TownServices;
  /** Puts bytes where the web channel keeps uploads and returns the file id a photo message carries. */
  uploadPhoto(bytes: Buffer): Promise<string>;
  /** Closes the database and removes the folder of the photos stored meanwhile. */
  close(): Promise<void>;
}

type ServicesOptions = {
  kind?: (typeof DATABASE_KINDS)[number];
  clock?: () => Date;
  timeZone?: string;
  reports?: Partial<ReportsOptions>;
  maxPhotoBytes?: number;
  mediaLimits?: Partial<MediaLimits>;
};

export async function openSampleServices(options: ServicesOptions = {}): Promise<SampleServices> {
  return openTownServices(SAMPLE_TOWN_FILE, options);
}

/** The town of `townFile` with every service the flows use, built as startLinli builds them for the town it is configured with. */
export async function openTownServices(townFile: string, options: ServicesOptions = {}): Promise<SampleServices> {
  const { db, grid, townCode } = await openTown(townFile, options.kind);
  const mediaRoot = await mkdtemp(path.join(tmpdir(), "linli-media-"));
  const media = createMediaStore({
    root: mediaRoot,
    sql: db.sql,
    maxBytes: options.maxPhotoBytes ?? 5 * 1024 * 1024,
    limits: { ...loadConfig({}).media.limits, ...options.mediaLimits },
    now: options.clock,
    logger: testLogger(),
  });
  // The web chat's uploads as the channel holds them, before the photo saver checks them.
  const uploads = new Map<string, Buffer>();
  const fetchUpload = async (fileId: string) => uploads.get(fileId) ?? Buffer.alloc(0);
  const photos = createPhotoSaver({
    store: media,
    // Telegram photos come from the same uploads here; the Telegram download itself is tested against the fake Bot API.
    fetchers: { web: fetchUpload, telegram: fetchUpload },
    logger: testLogger(),
  });
  const services = townServices(
    { db, grid, townCode },
    { clock: options.clock, timeZone: options.timeZone, reports: options.reports, photos },
  );
  return {
    db,
    grid,
    reports: services.reports,
    media,
    mediaRoot,
    staff: services.staff,
    services,
    async uploadPhoto(bytes) {
      const fileId = randomUUID();
      uploads.set(fileId, bytes);
      return fileId;
    },
    close: async () => {
      await db.close();
      await rm(mediaRoot, { recursive: true, force: true });
    },
  };
}

/** Links a test can recognise, where production makes them from the bot's name and the server's address. */
const TEST_LINKS: DeepLinks = {
  telegram: (payload) => `https://t.me/linli_test_bot?start=${payload}`,
  web: (payload) => `http://127.0.0.1:3000/?start=${payload}`,
  consoleSignIn: (token) => `http://127.0.0.1:3000/console/sign-in?token=${token}`,
};

/** A photo saver for tests that send no photos: every channel's download is unavailable. */
const NO_PHOTOS: PhotoSaver = { save: async () => ({ ok: false, reason: "unavailable" }) };

/**
 * The town's services built by production's {@link createServices}: the
 * configuration's defaults unless the test sets the zone or the report rules,
 * the test's clock, its photo saver and links (test ones by default), and a
 * memory limiter behind the origin budgets, as a bot without Redis has, and
 * console sessions in the database unless the test gives another store.
 */
export function townServices(
  town: { db: Pick<Database, "prisma" | "sql">; grid: GridDirectory; townCode: string },
  options: {
    clock?: () => Date;
    timeZone?: string;
    reports?: Partial<ReportsOptions>;
    photos?: PhotoSaver;
    links?: DeepLinks;
    webSessionStore?: WebSessionStore;
  } = {},
): TownServices {
  const config = loadConfig({});
  return createServices({
    ...town,
    rules: {
      timeZone: options.timeZone ?? TOWN_TIME_ZONE,
      reports: { ...config.reports, ...options.reports },
      signUpsPerAddressPerHour: config.web.signUpsPerAddressPerHour,
      consoleSessions: config.consoleSessions,
    },
    photos: options.photos ?? NO_PHOTOS,
    limiter: createMemoryLimiter(),
    links: options.links ?? TEST_LINKS,
    webSessionStore: options.webSessionStore,
    clock: options.clock,
  });
}

/** A valid 1×1 PNG whose pixel colour is `seed`, so different seeds are different files. */
export function TINY_PNG(seed: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(1, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const pixel = deflateSync(Buffer.from([0, seed & 0xff, (seed >> 8) & 0xff, 0x80]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", pixel),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A text file that a careless client might call photo.jpg. */
export const TINY_TEXT_FILE = Buffer.from("this is not an image, whatever its name says\n");

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The sample town's reports service alone, on a fresh database of the given kind, with the clock and rules a test sets. */
export async function openSampleReports(
  kind: (typeof DATABASE_KINDS)[number],
  options: { clock?: () => Date; timeZone?: string; reports?: Partial<ReportsOptions> } = {},
): Promise<{ db: Database; grid: GridDirectory; reports: TownServices["reports"] }> {
  const { db, grid, townCode } = await openTown(SAMPLE_TOWN_FILE, kind);
  return { db, grid, reports: townServices({ db, grid, townCode }, options).reports };
}

/** A resident chatting on Telegram from a private chat; `n` tells residents apart. */
export function resident(n: number | string, locale: "zh" | "en" = "zh"): ChatIdentity {
  return { channel: "telegram", userId: `user-${n}`, chatId: `chat-${n}`, locale };
}

/** A report's full view, failing the test when the viewer was given only the public one (or none). */
export function fullView(view: ReportView | PublicReportView | undefined): ReportView {
  if (!view || view.relation === "none") throw new Error(`expected the full view of a report, got ${JSON.stringify(view)}`);
  return view;
}

/**
 * The duplicate check of a submission made straight through the domain: as if
 * the resident had been shown the open reports nearby before any was filed and
 * declined `declined`, so any other open report nearby takes the submission.
 */
export function declining(declined: string[] = []): DuplicateCheck {
  return { checkedAt: new Date(0), declined };
}
