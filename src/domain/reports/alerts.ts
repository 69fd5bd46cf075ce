import type { Prisma } from "../../generated/prisma/client.ts";
import type { Bilingual, GridIndex } from "../grid/index.ts";
import { maskPersonalNumbers } from "../privacy.ts";
import type { PlaceCodes } from "./place.ts";
import type { ReportRoute } from "./service.ts";

/** What a staff group is told about a new report; rendered per channel by the notifier. */
export interface StaffAlertPayload {
  reference: string;
  category: Bilingual;
  clause: { ref: string; text: Bilingual };
  place: Bilingual;
  /** Present only when the resident consented to share an exact position. */
  position: { latitude: number; longitude: number } | null;
  /** Masked: the group is wider than the staff handling the case. */
  description: string;
  shop: Bilingual | null;
  photoCount: number;
  route: ReportRoute | null;
  locale: "zh" | "en";
}

/**
 * Queues an alert for every staff group subscribed to where the report goes
 * (its road committee, or the district it lies in or is routed to) and to its
 * category, in the caller's transaction. Never names the reporter.
 */
export async function queueStaffAlerts(
  tx: Prisma.TransactionClient,
  args: {
    townCode: string;
    eventId: string;
    createdAt: Date;
    grid: GridIndex;
    categoryCode: string;
    content: Omit<StaffAlertPayload, "locale" | "place" | "description"> & { description: string };
    codes: PlaceCodes;
    houseNumber: number | undefined;
  },
): Promise<number> {
  const { codes, route } = { codes: args.codes, route: args.content.route };
  const districts = new Set([codes.districtCode, route?.kind === "districtCommittee" ? route.code : null].filter((c): c is string => c !== null));
  const roadCommittee = route?.kind === "roadCommittee" ? route.code : null;
  const destinations = await tx.alertDestination.findMany({ where: { townCode: args.townCode } });
  const place = placeLabel(args.grid, codes, args.houseNumber);
  let queued = 0;
  for (const destination of destinations) {
    const wholeTown = destination.districtCodes.length === 0 && destination.roadCommitteeCodes.length === 0;
    const byArea =
      wholeTown || destination.districtCodes.some((c) => districts.has(c)) || (roadCommittee !== null && destination.roadCommitteeCodes.includes(roadCommittee));
    const byCategory = destination.categoryCodes.length === 0 || destination.categoryCodes.includes(args.categoryCode);
    if (!byArea || !byCategory) continue;
    const payload: StaffAlertPayload = {
      ...args.content,
      place,
      description: maskPersonalNumbers(args.content.description),
      locale: destination.locale === "en" ? "en" : "zh",
    };
    await tx.outboxMessage.create({
      data: {
        dedupeKey: `${args.eventId}:alert:${destination.id}`,
        kind: "alert.new",
        channel: destination.channel,
        chatId: destination.address,
        payload: payload as unknown as Prisma.InputJsonObject,
        createdAt: args.createdAt,
        nextAttemptAt: args.createdAt,
      },
    });
    queued++;
  }
  return queued;
}

function placeLabel(grid: GridIndex, codes: PlaceCodes, houseNumber: number | undefined): Bilingual {
  const road = codes.roadCode ? grid.road(codes.roadCode) : undefined;
  const district = codes.districtCode ? grid.district(codes.districtCode) : undefined;
  const suffix = (locale: "zh" | "en") => (district ? (locale === "zh" ? `（${district.name.zh}）` : ` (${district.name.en})`) : "");
  if (road) {
    return {
      zh: `${road.name.zh}${houseNumber !== undefined ? `${houseNumber}号` : ""}${suffix("zh")}`,
      en: `${houseNumber !== undefined ? `No. ${houseNumber}, ` : ""}${road.name.en}${suffix("en")}`,
    };
  }
  const neighbourhood = codes.neighbourhoodCode ? grid.neighbourhood(codes.neighbourhoodCode) : undefined;
  if (neighbourhood) return { zh: `${neighbourhood.name.zh}${suffix("zh")}`, en: `${neighbourhood.name.en}${suffix("en")}` };
  if (district) return district.name;
  return { zh: "未指定地点", en: "no place given" };
}
