import { GridDirectory } from "../../src/domain/grid/directory.ts";
import type { StaffGrant } from "../../src/domain/staff/registry.ts";
import type { TestApp } from "./app.ts";
import { declining, LABELLED_MESSAGES, resident, townServices } from "./town.ts";

/** A point inside each sample district (WGS-84), for cases placed by a shared location. */
export const DISTRICT_POINTS = {
  d1: { latitude: 31.05, longitude: 121.42 },
  d2: { latitude: 31.055, longitude: 121.475 },
  d3: { latitude: 31.015, longitude: 121.425 },
  d4: { latitude: 31.015, longitude: 121.48 },
} as const;

/** The running app's town services on its own database, as a chat would reach them. */
export async function servicesOf(app: TestApp) {
  const grid = await GridDirectory.open(app.db.prisma, "wujing", LABELLED_MESSAGES);
  return townServices({ db: app.db, grid, townCode: "wujing" });
}

/**
 * Files one case per position (a new resident each), placed by location as the report flow does, and one
 * placed by road (no position); returns the references in the order given, the road case last.
 */
export async function seedCases(
  services: Awaited<ReturnType<typeof servicesOf>>,
  positions: { district: keyof typeof DISTRICT_POINTS; latitude: number; longitude: number }[],
): Promise<string[]> {
  const [category] = await services.reports.categories();
  if (!category) throw new Error("the sample town has no categories");
  const references: string[] = [];
  const file = async (place: Parameters<typeof services.reports.submit>[0]["place"]) => {
    const result = await services.reports.submit(
      { categoryCode: category.code, place, description: "门口堆放杂物", photoIds: [], contactAllowed: false },
      resident(`map-${references.length}-${Math.random().toString(36).slice(2)}`),
      declining(references),
    );
    if (result.type !== "created") throw new Error(`expected a new report, got ${result.type}`);
    references.push(result.reference);
  };
  for (const position of positions) {
    await file({ districtCode: position.district, latitude: position.latitude, longitude: position.longitude });
  }
  await file({ roadCode: "heqing", houseNumber: 30 });
  return references;
}

/** Binds a staff member with `grant` and signs them in to the console; the session cookie. */
export async function signedInStaff(
  app: TestApp,
  services: Awaited<ReturnType<typeof servicesOf>>,
  id: string,
  grant: Omit<StaffGrant, "label">,
): Promise<string> {
  const who = { channel: "telegram", userId: id, chatId: id, locale: "zh" as const };
  const invite = await services.staff.invite("bootstrap", { ...grant, label: `${id} 工作人员` });
  if (invite.type !== "created") throw new Error(invite.type);
  const bound = await services.staff.redeem(invite.code, who);
  if (bound.type !== "bound") throw new Error(bound.type);
  const link = await services.signIn.request(who);
  if (link.type !== "created") throw new Error(link.type);
  const response = await fetch(`${app.httpUrl}/console/sign-in?token=${link.token}`, { redirect: "manual" });
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (!cookie) throw new Error(`no session cookie (${response.status})`);
  return cookie;
}
