import type { Database } from "../../src/db/database.ts";
import { GridDirectory } from "../../src/domain/grid/directory.ts";
import type { ChatIdentity, ReportPlace } from "../../src/domain/reports/service.ts";
import { localDateOf, startOfLocalDay } from "../../src/domain/time/zone.ts";
import { declining, LABELLED_MESSAGES, TOWN_TIME_ZONE, townServices } from "./town.ts";

const DAY_MS = 86_400_000;
const CLERK = { staffId: "staff-figures", label: "第二片区工作人员" };

/** What the seeded reporters and reports hold that no public page may show. */
export const SEEDED_PRIVATE = {
  names: ["王小明", "Zhang Weiguo"],
  phones: ["13812345678", "13987654321"],
  descriptions: ["门口摆摊挡住盲道", "纸箱堆在消防通道"],
  coordinates: ["31.0213", "121.4612"],
} as const;

/**
 * Two cases in the sample town two weeks before the current one (town time),
 * made through the services with their clock set to each moment:
 * - A on Yongde Road 12 (district 2, road committee 1): submitted Friday 17:00,
 *   claimed the next Monday 09:30 (60 working minutes), resolved 11:00 (150), rated 4.
 * - B on Yongde Road 400 (district 1, road committee 1): submitted Tuesday 20:00,
 *   claimed Wednesday 10:00 (60), resolved Thursday 10:00 (570), reopened Friday
 *   09:00, resolved again the next Tuesday 09:00 (2040), rated 2.
 * In the last 8 weeks: 2 received, 3 resolved, 1 reopened (33.3 %), median claim
 * 1 h, median resolve 570 min (1 working day 1 h), ratings 2 averaging 3.
 * Assumes those two weeks hold no public holiday of the sample's calendar.
 */
export async function seedFigureCases(db: Database): Promise<void> {
  const grid = await GridDirectory.open(db.prisma, "wujing", LABELLED_MESSAGES);
  let now = new Date();
  const services = townServices({ db, grid, townCode: "wujing" }, { clock: () => now });
  const today = localDateOf(new Date(), TOWN_TIME_ZONE);
  const weekday = ((new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
  const monday = startOfLocalDay(
    new Date(Date.parse(`${today}T00:00:00Z`) - (weekday - 1 + 14) * DAY_MS).toISOString().slice(0, 10),
    TOWN_TIME_ZONE,
  );
  const at = (day: number, hour: number, minute = 0) => {
    now = new Date(monday.getTime() + day * DAY_MS + (hour * 60 + minute) * 60_000);
  };
  const reporters: ChatIdentity[] = SEEDED_PRIVATE.names.map((name, n) => ({
    channel: "telegram",
    userId: `figures-${n}`,
    chatId: `figures-${n}`,
    displayName: name,
    locale: "zh",
  }));
  const submit = async (reporter: ChatIdentity, place: ReportPlace, description: string) => {
    const result = await services.reports.submit(
      { categoryCode: "pavement-trading", place, description, photoIds: [], contactAllowed: true },
      reporter,
      declining(),
    );
    if (result.type !== "created") throw new Error(`expected a new report, got ${result.type}`);
    return result.reference;
  };
  const [latitude, longitude] = SEEDED_PRIVATE.coordinates.map(Number) as [number, number];
  at(1, 20);
  const b = await submit(
    reporters[1]!,
    { roadCode: "yongde", houseNumber: 400, latitude, longitude },
    `${SEEDED_PRIVATE.descriptions[1]}，电话${SEEDED_PRIVATE.phones[1]}`,
  );
  at(2, 10);
  await services.reports.acknowledge(b, CLERK);
  at(3, 10);
  await services.reports.resolve(b, CLERK, "已清理");
  at(4, 9);
  await services.reports.recordFeedback(b, reporters[1]!, { fixed: false });
  at(4, 17);
  const a = await submit(
    reporters[0]!,
    { roadCode: "yongde", houseNumber: 12 },
    `${SEEDED_PRIVATE.descriptions[0]}，电话${SEEDED_PRIVATE.phones[0]}`,
  );
  at(7, 9, 30);
  await services.reports.acknowledge(a, CLERK);
  at(7, 11);
  await services.reports.resolve(a, CLERK, "已劝离");
  at(7, 11, 30);
  await services.reports.recordFeedback(a, reporters[0]!, { rating: 4 });
  at(8, 9);
  await services.reports.resolve(b, CLERK, "再次清理");
  at(8, 10);
  await services.reports.recordFeedback(b, reporters[1]!, { rating: 2 });
}
