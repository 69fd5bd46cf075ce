import { ConfigError, loadConfig } from "../config.ts";
import { openDatabase } from "../db/database.ts";
import { importTownData, type ImportCounts, type TownImportResult } from "../domain/grid/import.ts";
import { readTownFile, TownDataError } from "../towndata/town-file.ts";

/*
 * `npm run import -- <file>`: validates a town-data file and loads it into the
 * configured database (PGlite in DATA_DIR, or DATABASE_URL). The file is fully
 * validated before the database is opened, so a bad file never touches it.
 * Exit codes: 0 imported or unchanged, 1 bad file / configuration / failure, 2 usage.
 */

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function counts(zh: string, en: string, c: ImportCounts): string {
  return `  ${zh} ${en}: 新增 created ${c.created}, 更新 updated ${c.updated}, 删除 removed ${c.removed}`;
}

function summary(file: string, result: TownImportResult): string[] {
  if (result.status === "unchanged") {
    return [`${file}: 镇 ${result.townCode} 的数据与上次导入相同，未作任何修改 / unchanged: town ${result.townCode} already holds this file`];
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
    ...(result.compact ? [`  街区公约 street compact: 第 ${result.compact.version} 版 version ${result.compact.version}${result.compact.published ? "（新发布 newly published）" : ""}`] : []),
    `  委员会成员 committee members: ${result.committeeMembers}, 门牌路段 road segments: ${result.roadSegments}`,
  ];
}

async function main(args: readonly string[]): Promise<number> {
  const file = args[0];
  if (file === undefined || args.length > 1) {
    err("用法 / usage: npm run import -- <town-data.yaml>");
    return 2;
  }
  try {
    const config = loadConfig();
    const { data, hash } = await readTownFile(file);
    const db = await openDatabase(config.database);
    try {
      for (const line of summary(file, await importTownData(db.prisma, data, hash))) out(line);
    } finally {
      await db.close();
    }
    if (data.town.sample) out("注意：这是示例数据，其中的联系方式均为示例 / note: this is sample data; its contacts are examples");
    if (data.town.code !== config.town.code) {
      err(`注意：文件中的镇代码 ${data.town.code} 与 TOWN_CODE=${config.town.code} 不同，本实例不会使用它 / note: the file's town ${data.town.code} differs from TOWN_CODE=${config.town.code}; this instance will not serve it`);
    }
    return 0;
  } catch (error) {
    if (error instanceof TownDataError || error instanceof ConfigError) {
      err(error.message);
      return 1;
    }
    err(`${file}: 导入失败，未作任何修改 / import failed, nothing was changed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
