import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEEDED_PRIVATE, seedFigureCases } from "../../support/figures-town.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";

describe("the figures page and the public board and compact pages over HTTP", () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ env: {} });
    await seedFigureCases(app.db);
  }, 120_000);
  afterAll(async () => {
    await app.stop();
  });

  const page = async (path: string) => {
    const response = await fetch(`${app.httpUrl}${path}`);
    return { response, body: await response.text() };
  };

  it("the figures page without a session answers 401 with how to sign in, and no figures", async () => {
    const { response, body } = await page("/console/figures");
    expect(response.status).toBe(401);
    expect(body).toContain("/web");
    expect(body).not.toContain("chart-weeks");
    expect(body).not.toContain("page-data");
  });

  it("the seeded reports hold the names, numbers, descriptions and coordinates the public pages must not show", async () => {
    const rows = await app.db.prisma.report.findMany({ select: { description: true, latitude: true, reference: true } });
    expect(rows).toHaveLength(2);
    expect(rows.map((row) => row.description).join(" ")).toContain(SEEDED_PRIVATE.phones[0]);
    expect(rows.some((row) => row.latitude === Number(SEEDED_PRIVATE.coordinates[0]))).toBe(true);
    const users = await app.db.prisma.chatUser.findMany({ select: { displayName: true } });
    expect(users.map((user) => user.displayName)).toEqual(expect.arrayContaining([...SEEDED_PRIVATE.names]));
  });

  for (const path of ["/board", "/board?lang=en", "/compact", "/compact?lang=en"]) {
    it(`${path} opens without signing in and shows no reporter's name, phone number, description, coordinates or reference`, async () => {
      const { response, body } = await page(path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("no-cache");
      const forbidden = [
        ...SEEDED_PRIVATE.names,
        ...SEEDED_PRIVATE.phones,
        ...SEEDED_PRIVATE.phones.map((phone) => `${phone.slice(0, 3)}****${phone.slice(7)}`),
        ...SEEDED_PRIVATE.descriptions,
        ...SEEDED_PRIVATE.coordinates,
        ...(await app.db.prisma.report.findMany({ select: { reference: true } })).map((row) => row.reference),
      ];
      for (const text of forbidden) expect(body, text).not.toContain(text);
    });
  }

  it("the board counts each district's and committee's cases in this month and last, in both languages", async () => {
    const zh = (await page("/board")).body;
    expect(zh).toContain("办理情况");
    expect(zh).toContain("第一片区");
    // Both cases are handled by road committee 1: 2 received and 3 resolutions over the two months.
    const row = /<tr data-code="rc1">([\s\S]*?)<\/tr>/.exec(zh)?.[1] ?? "";
    const cells = [...row.matchAll(/<td class="number">([^<]*)<\/td>/g)].map((match) => match[1]!.trim());
    expect(cells).toHaveLength(6);
    expect(Number(cells[0]) + Number(cells[3])).toBe(2);
    expect(Number(cells[1]) + Number(cells[4])).toBe(3);
    const en = (await page("/board?lang=en")).body;
    expect(en).toContain("Progress board");
    expect(en).toContain("Time to resolve (median)");
  });

  it("the compact page shows the compact in force, clause by clause, and each road's signing count", async () => {
    const zh = (await page("/compact")).body;
    expect(zh).toContain("永德路街区自治公约（示例）");
    expect(zh).toContain("第二条");
    expect(zh).toMatch(/<tr data-code="yongde">[\s\S]*?<td class="number">0<\/td>/);
    const en = (await page("/compact?lang=en")).body;
    expect(en).toContain("Yongde Road Street-Block Self-Governance Compact (sample)");
    expect(en).toContain("Shops that signed, road by road");
  });
});
