import type { ActorKind, Prisma } from "../../generated/prisma/client.ts";
import type { Bilingual } from "../grid/index.ts";
import { maskPersonalNumbers } from "../privacy.ts";
import { shopStandingOf } from "./alerts.ts";
import { OPEN_STATUSES, type ReportsContext } from "./context.ts";
import { caseAreaOf, storedRouteOf } from "./place.ts";
import type { OpenCaseLine, StaffCaseView, StaffReportActions } from "./reports.ts";
import type { ChatIdentity, PublicReportView, ReportRoute, ReportsService, ReportSummary, ReportView } from "./service.ts";

const reportInclude = {
  category: true,
  road: true,
  neighbourhood: true,
  district: true,
  routedRoadCommittee: true,
  routedDistrict: true,
  _count: { select: { photos: true } },
} as const;
type LoadedReport = Prisma.ReportGetPayload<{ include: typeof reportInclude }>;

/**
 * How reports are shown: a resident's list and case, the staff's case and
 * their list of open cases.
 */
export function viewsOf(ctx: ReportsContext) {
  const { prisma, townCode, clock, routeFor, findUser, normalizeReference } = ctx;

  const placeOf = (report: LoadedReport): Bilingual =>
    placeLabel(
      report.houseNumber,
      report.road && { zh: report.road.name, en: report.road.nameEn },
      report.neighbourhood && { zh: report.neighbourhood.name, en: report.neighbourhood.nameEn },
      report.district && { zh: report.district.name, en: report.district.nameEn },
    );

  const openCaseLine = (report: LoadedReport): OpenCaseLine => ({
    reference: report.reference,
    category: { zh: report.category.name, en: report.category.nameEn },
    status: report.status,
    place: placeOf(report),
    supporters: report.followerCount,
    createdAt: report.createdAt,
  });

  /** Why this user may see a report in full (filed it, follows it, is on the town's staff), or "none". */
  const relationTo = async (report: LoadedReport, user: ChatIdentity): Promise<ReportView["relation"] | "none"> => {
    const me = await findUser(prisma, user);
    if (!me) return "none";
    if (report.reporterId === me.id) return "reporter";
    const [following, staff] = await Promise.all([
      prisma.reportFollower.findUnique({ where: { reportId_userId: { reportId: report.id, userId: me.id } }, select: { id: true } }),
      prisma.staffMember.findFirst({ where: { townCode, chatUserId: me.id, revokedAt: null }, select: { id: true } }),
    ]);
    return following ? "follower" : staff ? "staff" : "none";
  };

  /** What the reporter is shown as the route: for an unrouted (blocked) report the route it would have had, so nothing gives the block away. */
  const shownRoute = async (report: LoadedReport): Promise<ReportRoute | null> => {
    if (report.routed) return storedRouteOf(report);
    return routeFor(report.category.code, {
      roadCode: report.road?.code,
      houseNumber: report.houseNumber ?? undefined,
      neighbourhoodCode: report.neighbourhood?.code,
      districtCode: report.district?.code,
    });
  };

  const service: Pick<ReportsService, "myReports" | "viewForResident"> & Pick<StaffReportActions, "caseForStaff" | "openCases"> = {
    async myReports(user) {
      const me = await findUser(prisma, user);
      if (!me) return [];
      const rows = await prisma.report.findMany({
        where: { OR: [{ reporterId: me.id }, { followers: { some: { userId: me.id } } }] },
        include: reportInclude,
        orderBy: [{ updatedAt: "desc" }, { reference: "desc" }],
        take: 50,
      });
      return rows.map(
        (report): ReportSummary => ({
          reference: report.reference,
          category: { zh: report.category.name, en: report.category.nameEn },
          status: report.status,
          place: placeOf(report),
          relation: report.reporterId === me.id ? "reporter" : "follower",
          updatedAt: report.updatedAt,
        }),
      );
    },

    async viewForResident(reference, user) {
      const report = await prisma.report.findUnique({ where: { reference: normalizeReference(reference) }, include: reportInclude });
      if (!report) return undefined;
      const relation = await relationTo(report, user);
      if (relation === "none") {
        const view: PublicReportView = {
          relation,
          reference: report.reference,
          category: { zh: report.category.name, en: report.category.nameEn },
          status: report.status,
          road: report.road && { zh: report.road.name, en: report.road.nameEn },
        };
        return view;
      }
      const events = await prisma.reportEvent.findMany({ where: { reportId: report.id }, orderBy: { createdAt: "asc" } });
      const view: ReportView = {
        reference: report.reference,
        category: { zh: report.category.name, en: report.category.nameEn },
        status: report.status,
        place: placeOf(report),
        relation,
        updatedAt: report.updatedAt,
        description: maskPersonalNumbers(report.description),
        route: await shownRoute(report),
        supporters: report.followerCount,
        photoCount: report._count.photos,
        rejectReason: report.rejectReason,
        timeline: events.map((event) => ({
          at: event.createdAt,
          type: event.type,
          status: event.toStatus,
          note: event.note === null ? null : maskPersonalNumbers(event.note),
          by: actorOf(event.actorKind),
        })),
      };
      return view;
    },

    async caseForStaff(reference) {
      const report = await prisma.report.findUnique({
        where: { reference: normalizeReference(reference) },
        include: {
          ...reportInclude,
          merchant: true,
          reporter: true,
          photos: { orderBy: { position: "asc" } },
          events: { orderBy: { createdAt: "asc" } },
        },
      });
      if (!report || report.townCode !== townCode) return undefined;
      const view: StaffCaseView = {
        ...openCaseLine(report),
        area: caseAreaOf(report),
        clause: { ref: report.category.clauseRef, text: { zh: report.category.clauseText, en: report.category.clauseTextEn } },
        position: report.latitude !== null && report.longitude !== null ? { latitude: report.latitude, longitude: report.longitude } : null,
        description: report.description,
        shop: report.merchant ? { zh: report.merchant.name, en: report.merchant.nameEn } : null,
        shopStanding: await shopStandingOf(prisma, townCode, report.merchantId, clock()),
        photoIds: report.photos.map((photo) => photo.mediaId),
        route: await shownRoute(report),
        rejectReason: report.rejectReason,
        reporterContact: report.contactAllowed
          ? { channel: report.reporter.channel, userId: report.reporter.channelUserId, displayName: report.reporter.displayName }
          : null,
        timeline: report.events.map((event) => ({
          at: event.createdAt,
          type: event.type,
          status: event.toStatus,
          note: event.note,
          by: actorOf(event.actorKind),
          // Staff roles and shop names; a resident's identity is never a label.
          actorLabel: event.actorKind === "STAFF" || event.actorKind === "MERCHANT" ? event.actorLabel : null,
        })),
      };
      return view;
    },

    async openCases(area, limit) {
      const where: Prisma.ReportWhereInput = {
        townCode,
        routed: true,
        status: { in: OPEN_STATUSES },
        ...(area === "town"
          ? {}
          : {
              OR: [
                { district: { code: { in: area.districtCodes } } },
                { routedDistrict: { code: { in: area.districtCodes } } },
                { routedRoadCommittee: { code: { in: area.roadCommitteeCodes } } },
              ],
            }),
      };
      const [rows, total] = await Promise.all([
        prisma.report.findMany({ where, include: reportInclude, orderBy: [{ createdAt: "asc" }, { reference: "asc" }], take: limit }),
        prisma.report.count({ where }),
      ]);
      return { cases: rows.map(openCaseLine), total };
    },
  };

  return service;
}

/** How a report's place reads: road and house number, else the neighbourhood, else the district. */
export function placeLabel(
  houseNumber: number | null,
  road: Bilingual | null | undefined,
  neighbourhood: Bilingual | null | undefined,
  district: Bilingual | null | undefined,
): Bilingual {
  if (road) return houseNumber ? { zh: `${road.zh}${houseNumber}号`, en: `No. ${houseNumber}, ${road.en}` } : { ...road };
  const named = neighbourhood ?? district;
  return named ? { ...named } : { zh: "未指定地点", en: "no place given" };
}

/** Who acted on a timeline entry, as shown to residents and staff (never which resident). */
function actorOf(kind: ActorKind): "resident" | "staff" | "merchant" | "system" {
  return kind === "STAFF" ? "staff" : kind === "RESIDENT" ? "resident" : kind === "MERCHANT" ? "merchant" : "system";
}
