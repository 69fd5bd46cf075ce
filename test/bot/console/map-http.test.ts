import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogFor } from "../../../src/flows/i18n/catalog.ts";
import { formatAnswer } from "../../../src/flows/lookup/answer.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { DISTRICT_POINTS, seedCases, servicesOf, signedInStaff } from "../../support/grid-map.ts";

type Pin = { ref: string; category: { zh: string; en: string }; status: string; lat: number; lng: number };

describe("the grid map over HTTP", () => {
  let app: TestApp;
  let services: Awaited<ReturnType<typeof servicesOf>>;
  let references: string[];
  let districtCookie: string;
  let adminCookie: string;

  beforeAll(async () => {
    app = await startTestApp({ env: {} });
    services = await servicesOf(app);
    references = await seedCases(services, [
      { district: "d1", ...DISTRICT_POINTS.d1 },
      { district: "d2", ...DISTRICT_POINTS.d2 },
      { district: "d2", latitude: 31.06, longitude: 121.49 },
      { district: "d3", ...DISTRICT_POINTS.d3 },
    ]);
    districtCookie = await signedInStaff(app, services, "d2-member", {
      role: "DISTRICT_STAFF",
      districtCodes: ["d2"],
      roadCommitteeCodes: [],
    });
    adminCookie = await signedInStaff(app, services, "map-admin", { role: "ADMIN", districtCodes: [], roadCommitteeCodes: [] });
  }, 120_000);
  afterAll(async () => {
    await app.stop();
  });

  const get = (path: string, cookie?: string, headers: Record<string, string> = {}) =>
    fetch(`${app.httpUrl}${path}`, { headers: { ...(cookie ? { cookie } : {}), ...headers } });
  const pins = async (cookie: string) => ((await (await get("/console/map/cases", cookie)).json()) as { cases: Pin[] }).cases;

  it("without a session the staff map is a 401 page and its cases a 401 JSON answer, with nothing of the map", async () => {
    const page = await get("/console/map");
    expect(page.status).toBe(401);
    const body = await page.text();
    expect(body).toContain("/web");
    expect(body).not.toContain("page-data");
    const cases = await get("/console/map/cases");
    expect(cases.status).toBe(401);
    expect(((await cases.json()) as { error: { code: string } }).error.code).toBe("not_signed_in");
  });

  it("a district member's pins are the cases of their district with a position, with no reporter and no description", async () => {
    const mine = await pins(districtCookie);
    expect(mine.map((pin) => pin.ref).sort()).toEqual([references[1], references[2]].sort());
    for (const pin of mine) expect(Object.keys(pin).sort()).toEqual(["category", "lat", "lng", "ref", "status"]);
    expect(mine.find((pin) => pin.ref === references[1])).toMatchObject({
      status: "SUBMITTED",
      lat: DISTRICT_POINTS.d2.latitude,
      lng: DISTRICT_POINTS.d2.longitude,
    });
    const response = await get("/console/map/cases", districtCookie);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("an admin's pins are every positioned case of the town", async () => {
    expect((await pins(adminCookie)).map((pin) => pin.ref).sort()).toEqual(references.slice(0, 4).sort());
  });

  it("the staff page lists every district with its committee and the member's open cases per district, and loads the map script", async () => {
    const page = await get("/console/map", districtCookie);
    expect(page.status).toBe(200);
    const body = await page.text();
    const index = services.grid.index;
    for (const district of index.snapshot.districts) {
      expect(body).toContain(`id="district-${district.code}"`);
      expect(body).toContain(district.committee.name.zh);
    }
    // d2 holds two pinned cases and the one placed by road; the member sees no other district's.
    expect(body).toMatch(/id="district-d2"[\s\S]*?<td class="number">3<\/td>/);
    expect(body).toMatch(/id="district-d1"[\s\S]*?<td class="number">0<\/td>/);
    expect(body).toContain('src="assets/map.js"');
    expect(page.headers.get("content-security-policy")).toContain("img-src 'self' data:;");
  });

  it("a case the member cannot see on the map is named in a notice when the page is asked to open it", async () => {
    const body = await (await get(`/console/map?ref=${references[0]}`, districtCookie)).text();
    expect(body).toContain(`案件 ${references[0]} 没有精确位置，或不在您负责的范围内`);
    expect(await (await get(`/console/map?ref=${references[1]}`, districtCookie)).text()).not.toContain('class="notice"');
  });

  it("a place search answers with the chat lookup's own words, phones as tel: links, in either language", async () => {
    const query = "鹤庆路30号";
    const found = services.grid.index.lookup(query);
    if (found.type !== "found") throw new Error(found.type);
    for (const locale of ["zh", "en"] as const) {
      const response = await get(`/map/lookup?q=${encodeURIComponent(query)}&lang=${locale}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { result: string; districtCode: string; text: string; html: string };
      expect(body.result).toBe("found");
      expect(body.districtCode).toBe(found.answer.district.code);
      expect(body.text).toBe(formatAnswer(found.answer, catalogFor(locale), locale));
      expect(body.html).toContain(`<a href="tel:${found.answer.district.committee.officePhone.replace(/-/g, "")}">`);
      expect(response.headers.get("vary")).toBe("Accept-Language, Cookie");
    }
  });

  it("a clicked point answers as the chat's shared location does", async () => {
    const { latitude, longitude } = DISTRICT_POINTS.d4;
    const located = services.grid.index.locate(latitude, longitude);
    if (located.type !== "found") throw new Error(located.type);
    const body = (await (await get(`/map/at?lat=${latitude}&lng=${longitude}`)).json()) as {
      result: string;
      text: string;
      districtCode: string;
    };
    expect(body).toMatchObject({ result: "found", districtCode: "d4", text: formatAnswer(located.answer, catalogFor("zh"), "zh") });
    const outside = (await (await get("/map/at?lat=39.9&lng=116.4")).json()) as { result: string; text: string };
    expect(outside.result).toBe("outsideTown");
    expect(outside.text).toContain(services.grid.index.snapshot.town.office.phone);
  });

  it("an ambiguous name offers its places, and picking one answers for it", async () => {
    const body = (await (await get(`/map/lookup?q=${encodeURIComponent("永德路")}`)).json()) as {
      result: string;
      candidates: { id: string }[];
    };
    expect(body.result).toBe("ambiguous");
    const first = body.candidates[0]!;
    const resolved = services.grid.index.resolve(first.id);
    if (resolved?.type !== "found") throw new Error(String(resolved?.type));
    const picked = (await (await get(`/map/lookup?place=${encodeURIComponent(first.id)}`)).json()) as { text: string };
    expect(picked.text).toBe(formatAnswer(resolved.answer, catalogFor("zh"), "zh"));
  });

  it("bad questions get 400 with a message in both languages", async () => {
    for (const path of [
      "/map/lookup",
      "/map/lookup?q=%20",
      "/map/lookup?q=!!!",
      `/map/lookup?q=${"路".repeat(101)}`,
      "/map/lookup?place=n:no-such-place",
      "/map/at?lat=abc&lng=121.4",
      "/map/at?lat=95&lng=121.4",
      "/map/at?lat=31",
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(400);
      const { error } = (await response.json()) as { error: { message: { zh: string; en: string } } };
      expect(error.message.zh.length, path).toBeGreaterThan(0);
      expect(error.message.en.length, path).toBeGreaterThan(0);
    }
  });

  it("the public map answers a search without script, with the district table and a tel: link, and no case of anyone", async () => {
    const response = await get(`/map?q=${encodeURIComponent("鹤庆路30号")}`);
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toContain("属于【第二片区】");
    expect(body).toMatch(/<a href="tel:[\d+]+">/);
    expect(body).toContain('id="district-d1"');
    expect(body).toContain('src="console/assets/map.js"');
    for (const reference of references) expect(body).not.toContain(reference);
    const bad = await get("/map?q=");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("请输入小区名或路名");
  });
});

describe("the grid map of a town with a district that has no boundary", () => {
  let app: TestApp;

  beforeAll(async () => {
    // The sample's fourth district loses its boundary line, as a town whose grid map is not drawn yet would have it.
    app = await startTestApp({
      env: {},
      editTown: (sample) => sample.replace(/(code: d4[\s\S]*?)\n\s*boundary:\n\s*- \[\[[^\n]*/, "$1"),
    });
  }, 120_000);
  afterAll(async () => {
    await app.stop();
  });

  it("lists the unbounded district beside the map, names it in a notice, and gives the map no outline for it", async () => {
    const response = await fetch(`${app.httpUrl}/map?lang=en`);
    const body = await response.text();
    expect(body).toMatch(/id="district-d4"[\s\S]*?\(no boundary drawn\)/);
    expect(body).toContain("These districts have no boundary in the data and are not drawn on the map: District 4.");
    const data = JSON.parse(/<script type="application\/json" id="page-data">([\s\S]*?)<\/script>/.exec(body)![1]!) as {
      districts: { code: string; boundary: unknown }[];
    };
    expect(data.districts.map((district) => [district.code, district.boundary === null])).toEqual([
      ["d1", false],
      ["d2", false],
      ["d3", false],
      ["d4", true],
    ]);
    // A point that was in the fourth district is now outside every boundary, as the chat's location lookup says.
    const at = (await (
      await fetch(`${app.httpUrl}/map/at?lat=${DISTRICT_POINTS.d4.latitude}&lng=${DISTRICT_POINTS.d4.longitude}`)
    ).json()) as {
      result: string;
    };
    expect(at.result).toBe("outsideTown");
  });
});
