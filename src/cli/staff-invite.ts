import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { openDatabase } from "../db/database.ts";
import { createStaffRegistry, type StaffGrant } from "../domain/staff/registry.ts";

/*
 * `npm run staff:invite -- --role admin --label 镇管理员`: issues a one-time
 * staff invitation from the command line. This is how a town gets its first
 * admin (everyone after that is invited in chat with /invite). The code is
 * redeemed by sending `/join <code>` to the bot, or through the Telegram link
 * `https://t.me/<bot>?start=staff-<code>`.
 * Exit codes: 0 issued, 1 bad configuration / unknown area / failure, 2 usage.
 */

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

const ROLES: Record<string, StaffGrant["role"]> = { admin: "ADMIN", district: "DISTRICT_STAFF", academy: "ACADEMY_STAFF" };
const USAGE = [
  "用法 / usage: npm run staff:invite -- --role admin|district|academy --label <称呼 title> [--districts d1,d2] [--road-committees rc1] [--hours 72]",
  "  district 角色须至少给出一个片区或路管会 / the district role needs at least one district or road committee",
].join("\n");

const codes = (value: string | undefined) => (value ?? "").split(",").map((code) => code.trim()).filter((code) => code !== "");

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { role: { type: "string" }, label: { type: "string" }, districts: { type: "string" }, "road-committees": { type: "string" }, hours: { type: "string" } },
    }));
  } catch (error) {
    err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const role = Object.hasOwn(ROLES, values.role ?? "") ? ROLES[values.role ?? ""] : undefined;
  const label = values.label?.trim() ?? "";
  const hours = values.hours === undefined ? 72 : Number(values.hours);
  const grant = { districtCodes: codes(values.districts), roadCommitteeCodes: codes(values["road-committees"]) };
  if (!role || label.length < 2 || label.length > 30 || !Number.isInteger(hours) || hours < 1 || hours > 24 * 30) {
    err(USAGE);
    return 2;
  }
  if (role === "DISTRICT_STAFF" && grant.districtCodes.length + grant.roadCommitteeCodes.length === 0) {
    err(USAGE);
    return 2;
  }
  try {
    const config = loadConfig();
    const db = await openDatabase(config.database);
    try {
      const townCode = config.town.code;
      if (!(await db.prisma.town.findUnique({ where: { code: townCode }, select: { code: true } }))) {
        err(`数据库中还没有镇 ${townCode}，请先运行 npm start 或 npm run import / town ${townCode} is not in the database yet: run npm start or npm run import first`);
        return 1;
      }
      const [districts, committees] = await Promise.all([
        db.prisma.district.findMany({ where: { townCode, code: { in: grant.districtCodes } }, select: { code: true } }),
        db.prisma.roadCommittee.findMany({ where: { townCode, code: { in: grant.roadCommitteeCodes } }, select: { code: true } }),
      ]);
      const known = new Set([...districts, ...committees].map((row) => row.code));
      const unknown = [...grant.districtCodes, ...grant.roadCommitteeCodes].filter((code) => !known.has(code));
      if (unknown.length > 0) {
        err(`镇 ${townCode} 没有这些片区或路管会代码：${unknown.join(", ")} / town ${townCode} has no district or road committee ${unknown.join(", ")}`);
        return 1;
      }
      const result = await createStaffRegistry({ prisma: db.prisma, townCode }).invite("bootstrap", { role, label, ...grant }, hours);
      if (result.type !== "created") throw new Error("the registry refused a bootstrap invitation");
      out(`邀请码 invitation code: ${result.code}`);
      out(`有效期至 valid until: ${result.expiresAt.toISOString()}（仅可使用一次 / works once）`);
      out(`登记方式 to register: 向机器人发送 send the bot  /join ${result.code}`);
      out(`Telegram 链接 link: https://t.me/<机器人用户名 bot username>?start=staff-${result.code}`);
    } finally {
      await db.close();
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      err(error.message);
      return 1;
    }
    err(`未能生成邀请码 / could not issue an invitation: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
