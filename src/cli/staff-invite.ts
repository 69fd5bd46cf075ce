import { parseArgs } from "node:util";
import { runFromCommandLine } from "../admin/command-line.ts";
import type { StaffGrant } from "../domain/staff/registry.ts";

/*
 * `npm run staff:invite -- --role admin --label 镇管理员`: issues a one-time
 * staff invitation from the command line. This is how a town gets its first
 * admin (everyone after that is invited in chat with /invite). The code is
 * redeemed by sending `/join <code>` to the bot, or through the Telegram link
 * `https://t.me/<bot>?start=staff-<code>`, or the web chat link printed with it.
 * With the embedded database it goes to the running Linli if there is one
 * (src/admin/command-line.ts), so it is safe while `npm start` runs.
 * Exit codes: 0 issued, 1 bad configuration / unknown area / failure, 2 usage.
 */

const err = (line: string) => process.stderr.write(`${line}\n`);

const ROLES = new Map<string, StaffGrant["role"]>([
  ["admin", "ADMIN"],
  ["district", "DISTRICT_STAFF"],
  ["academy", "ACADEMY_STAFF"],
]);
const USAGE = [
  "用法 / usage: npm run staff:invite -- --role admin|district|academy --label <称呼 title> [--districts d1,d2] [--road-committees rc1] [--hours 72]",
  "  district 角色须至少给出一个片区或路管会 / the district role needs at least one district or road committee",
].join("\n");

const codes = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((code) => code.trim())
    .filter((code) => code !== "");

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        role: { type: "string" },
        label: { type: "string" },
        districts: { type: "string" },
        "road-committees": { type: "string" },
        hours: { type: "string" },
      },
    }));
  } catch (error) {
    err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const role = ROLES.get(values.role ?? "");
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
  return runFromCommandLine(() => ({ command: "invite", role, label, hours, ...grant }), "npm run staff:invite");
}

process.exitCode = await main(process.argv.slice(2));
