import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { backupFileName, type Database } from "../db/database.ts";
import { importTownData, type TownImportResult } from "../domain/town/import.ts";
import type { ImportCounts } from "../domain/town/sync.ts";
import { createStaffRegistry } from "../domain/staff/registry.ts";
import { databaseWebSessions } from "../domain/staff/web-session-table.ts";
import type { DeepLinks } from "../flows/kit/flow.ts";
import { STAFF_DEEP_LINK_PREFIX } from "../flows/staff/join-flow.ts";
import { parseTownFile, TownDataError } from "../towndata/town-file.ts";

/*
 * The operator's commands (`npm run staff:invite`, `import`, `backup`), each
 * written once. The command line runs them in its own process when no Linli
 * runs on the embedded folder, or sends them to the running one over its admin
 * socket (src/admin/socket.ts), which runs this same code on its open
 * database: the folder never gets a second writer, and both ways print the same.
 */

/** A command as the command line sends it; the town file travels as its bytes so the running Linli reads what the operator named. */
export const adminCommandSchema = z.discriminatedUnion("command", [
  z.object({
    command: z.literal("invite"),
    role: z.enum(["ADMIN", "DISTRICT_STAFF", "ACADEMY_STAFF"]),
    label: z.string().trim().min(2).max(30),
    districtCodes: z.array(z.string()).max(100),
    roadCommitteeCodes: z.array(z.string()).max(100),
    hours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30),
  }),
  z.object({ command: z.literal("import"), file: z.string().min(1), contentBase64: z.string() }),
  z.object({ command: z.literal("backup") }),
]);

export type AdminCommand = z.infer<typeof adminCommandSchema>;

/** What a command printed and how it ended: 0 done, 1 refused or failed (the reason is in `err`). */
export interface AdminOutcome {
  exitCode: 0 | 1;
  out: string[];
  err: string[];
}

/** What the commands work on: the open database and what the running bot knows about itself. */
export interface AdminContext {
  db: Database;
  townCode: string;
  /** The town's IANA zone (config TIME_ZONE): an imported compact takes effect at midnight there. */
  timeZone: string;
  /** Invitation links on the channels that are on; a command-line process knows the web chat's address only. */
  links: DeepLinks;
  /** Where `backup` writes; undefined on PostgreSQL (pg_dump's job). */
  backupDir: string | undefined;
  /** Called after an import changed the town, so a running bot answers from the new data at once. */
  afterImport?: () => Promise<void>;
}

const done = (out: string[], err: string[] = []): AdminOutcome => ({ exitCode: 0, out, err });
const refused = (...err: string[]): AdminOutcome => ({ exitCode: 1, out: [], err });

/** Runs one command; refusals and bad files come back as an outcome, other failures are thrown. */
export async function runAdminCommand(command: AdminCommand, context: AdminContext): Promise<AdminOutcome> {
  switch (command.command) {
    case "invite":
      return invite(command, context);
    case "import":
      return importTown(command, context);
    case "backup":
      return backup(context);
  }
}

/** The lines that tell an invitee how to register: the code, and a link on every channel that is on. */
export function invitationLines(code: string, expiresAt: Date, links: DeepLinks): string[] {
  const payload = `${STAFF_DEEP_LINK_PREFIX}${code}`;
  const web = links.web(payload);
  const telegram = links.telegram(payload);
  return [
    `邀请码 invitation code: ${code}`,
    `有效期至 valid until: ${expiresAt.toISOString()}（仅可使用一次 / works once）`,
    `登记方式 to register: 向机器人发送 send the bot  /join ${code}`,
    ...(web ? [`网页聊天链接 web chat link: ${web}`] : []),
    ...(telegram ? [`Telegram 链接 link: ${telegram}`] : []),
  ];
}

async function invite(command: Extract<AdminCommand, { command: "invite" }>, { db, townCode, links }: AdminContext): Promise<AdminOutcome> {
  if (!(await db.prisma.town.findUnique({ where: { code: townCode }, select: { code: true } }))) {
    return refused(
      `数据库中还没有镇 ${townCode}，请先运行 npm start 或 npm run import / town ${townCode} is not in the database yet: run npm start or npm run import first`,
    );
  }
  const [districts, committees] = await Promise.all([
    db.prisma.district.findMany({ where: { townCode, code: { in: command.districtCodes } }, select: { code: true } }),
    db.prisma.roadCommittee.findMany({ where: { townCode, code: { in: command.roadCommitteeCodes } }, select: { code: true } }),
  ]);
  const known = new Set([...districts, ...committees].map((row) => row.code));
  const unknown = [...command.districtCodes, ...command.roadCommitteeCodes].filter((code) => !known.has(code));
  if (unknown.length > 0) {
    return refused(
      `镇 ${townCode} 没有这些片区或路管会代码：${unknown.join(", ")} / town ${townCode} has no district or road committee ${unknown.join(", ")}`,
    );
  }
  const grant = {
    role: command.role,
    label: command.label,
    districtCodes: command.districtCodes,
    roadCommitteeCodes: command.roadCommitteeCodes,
  };
  const result = await createStaffRegistry({ prisma: db.prisma, sql: db.sql, townCode, webSessions: databaseWebSessions(db.sql) }).invite(
    "bootstrap",
    grant,
    command.hours,
  );
  if (result.type !== "created") throw new Error("the registry refused a bootstrap invitation");
  return done(invitationLines(result.code, result.expiresAt, links));
}

function counts(zh: string, en: string, c: ImportCounts): string {
  return `  ${zh} ${en}: 新增 created ${c.created}, 更新 updated ${c.updated}, 删除 removed ${c.removed}`;
}

function importSummary(file: string, result: TownImportResult): string[] {
  if (result.status === "unchanged") {
    return [
      `${file}: 镇 ${result.townCode} 的数据与上次导入相同，未作任何修改 / unchanged: town ${result.townCode} already holds this file`,
    ];
  }
  return [
    `${file}: 已导入镇 ${result.townCode}${result.townCreated ? "（新建）" : ""} / imported town ${result.townCode}${result.townCreated ? " (new)" : ""}`,
    counts("片区", "districts", result.districts),
    counts("居民区", "neighbourhoods", result.neighbourhoods),
    counts("路管会", "road committees", result.roadCommittees),
    counts("道路", "roads", result.roads),
    counts("举报类别", "report categories", result.categories),
    counts("商户", "merchants", result.merchants),
    counts("告警群", "alert destinations", result.alertDestinations),
    counts("班次", "courses", result.courses.courses),
    counts("期次", "cohorts", result.courses.cohorts),
    counts("课程", "sessions", result.courses.sessions),
    ...(result.compact
      ? [
          `  街区公约 street compact: 第 ${result.compact.version} 版 version ${result.compact.version}${result.compact.published ? "（新发布 newly published）" : ""}`,
        ]
      : []),
    `  委员会成员 committee members: ${result.committeeMembers}, 门牌路段 road segments: ${result.roadSegments}`,
  ];
}

async function importTown(command: Extract<AdminCommand, { command: "import" }>, context: AdminContext): Promise<AdminOutcome> {
  let town;
  try {
    town = parseTownFile(command.file, Buffer.from(command.contentBase64, "base64"));
  } catch (error) {
    if (error instanceof TownDataError) return refused(error.message);
    throw error;
  }
  const { data, hash } = town;
  const result = await importTownData(context.db.prisma, data, hash, context.timeZone);
  if (result.status === "imported") await context.afterImport?.();
  const notes = data.town.sample
    ? ["注意：这是示例数据，其中的联系方式均为示例 / note: this is sample data; its contacts are examples"]
    : [];
  const warnings =
    data.town.code === context.townCode
      ? []
      : [
          `注意：文件中的镇代码 ${data.town.code} 与 TOWN_CODE=${context.townCode} 不同，本实例不会使用它 / note: the file's town ${data.town.code} differs from TOWN_CODE=${context.townCode}; this instance will not serve it`,
        ];
  return done([...importSummary(command.file, result), ...notes], warnings);
}

async function backup({ db, backupDir }: AdminContext): Promise<AdminOutcome> {
  if (db.kind !== "pglite" || !backupDir) {
    return refused("服务器模式请用 pg_dump 备份（见 README）/ on PostgreSQL, back up with pg_dump (see the README)");
  }
  await mkdir(backupDir, { recursive: true });
  const file = path.join(backupDir, backupFileName("manual"));
  const tarball = await db.dump();
  await writeFile(file, tarball, { mode: 0o600 });
  return done([
    `已备份到 backed up to: ${file}（${Math.ceil(tarball.byteLength / 1024)} KiB）`,
    `恢复 to restore (Linli stopped): npm run restore -- ${file}`,
  ]);
}
