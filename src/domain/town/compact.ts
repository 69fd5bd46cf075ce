import type { Prisma } from "../../generated/prisma/client.ts";
import type { TownData } from "./town-data.ts";
import { startOfLocalDay } from "../time/zone.ts";
import { writeCompactVersion, type WriteVersionResult } from "../compact/versions.ts";

type Tx = Prisma.TransactionClient;

/** A shop the file leaves out although merchants acknowledged the compact for it. */
export interface AcknowledgedShop {
  code: string;
  name: string;
  acknowledgements: number;
}

/**
 * Raised when an import would drop shops that hold compact acknowledgements:
 * the audit record must outlive the file, so nothing is written. The message
 * names the `merchants` field and each shop's code, so whoever maintains the
 * file puts them back.
 */
export class AcknowledgedShopError extends Error {
  constructor(
    readonly townCode: string,
    readonly shops: readonly AcknowledgedShop[],
  ) {
    const zh = shops.map((s) => `“${s.name}”（${s.code}，${s.acknowledgements} 次签署）`).join("、");
    const en = shops.map((s) => `${s.code} (${s.acknowledgements} acknowledgement(s))`).join(", ");
    super(
      `镇 ${townCode} 的数据文件 merchants 字段删除了已签署街区公约的商户 ${zh}，未导入任何内容；请在 merchants 中保留这些商户 / ` +
        `the town data for ${townCode} drops from the merchants field shops that acknowledged the street compact: ${en}; nothing was imported. Keep them in merchants`,
    );
    this.name = "AcknowledgedShopError";
  }
}

/**
 * Fails before anything is written when the file drops a file-managed shop
 * with acknowledgements. Shops staff added in the chat (`managedInChat`) are
 * never dropped by an import, so they are not checked.
 */
export async function refuseDroppingAcknowledgedShops(tx: Tx, data: TownData): Promise<void> {
  const kept = data.merchants.map((m) => m.code);
  const shops = await tx.merchant.findMany({
    where: { townCode: data.town.code, managedInChat: false, code: { notIn: kept }, acknowledgements: { some: {} } },
    select: { code: true, name: true, _count: { select: { acknowledgements: true } } },
    orderBy: { code: "asc" },
  });
  if (shops.length > 0)
    throw new AcknowledgedShopError(
      data.town.code,
      shops.map((s) => ({ code: s.code, name: s.name, acknowledgements: s._count.acknowledgements })),
    );
}

/**
 * Publishes the file's compact as a new version when its content hash
 * matches no existing version (re-importing the same text, or going back to
 * an older text, adds nothing); bound merchants are asked to acknowledge it
 * in the same transaction. The file's effective date takes effect at
 * midnight in `timeZone`, the town's.
 */
export async function importCompact(tx: Tx, data: TownData, now: Date, timeZone: string): Promise<WriteVersionResult | undefined> {
  const compact = data.compact;
  if (!compact) return undefined;
  return writeCompactVersion(tx, {
    townCode: data.town.code,
    content: { title: compact.title, titleEn: compact.titleEn, clauses: compact.clauses },
    effectiveFrom: startOfLocalDay(compact.effectiveFrom, timeZone),
    publishedByStaffId: null,
    now,
  });
}
