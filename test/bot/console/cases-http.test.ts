import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../../../src/db/sql.ts";
import { createStaffRegistry, type StaffGrant, type StaffRegistry } from "../../../src/domain/staff/registry.ts";
import { createStaffSignIn, type StaffSignIn } from "../../../src/domain/staff/sign-in.ts";
import { databaseWebSessions } from "../../../src/domain/staff/web-session-table.ts";
import { localDateOf, localDateTimeOf } from "../../../src/domain/time/zone.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { seedCases } from "../../support/cases.ts";
import { TOWN_TIME_ZONE } from "../../support/town.ts";

/** A staff label a spreadsheet would run as a formula, with a comma and quotes a CSV must quote. */
const FORMULA_LABEL = '=HYPERLINK("http://example.test","a, b")';
const CASES = 120;

describe("the case desk and its exports over HTTP", () => {
  let app: TestApp;
  let registry: StaffRegistry;
  let signIn: StaffSignIn;
  const cookies: Record<"admin" | "district2" | "academy", string> = {} as never;

  const count = async (where: ReturnType<typeof sql>) =>
    (
      await app.db.sql.query<{ n: number }>(
        sql`SELECT COUNT(*)::int AS "n" FROM "Report" r LEFT JOIN "District" d ON d."id" = r."districtId" WHERE ${where}`,
      )
    )[0]!.n;

  const bindAndSignIn = async (id: string, grant: StaffGrant) => {
    const invite = await registry.invite("bootstrap", grant);
    if (invite.type !== "created") throw new Error(invite.type);
    const who = { channel: "telegram", userId: id, chatId: id, locale: "zh" as const };
    if ((await registry.redeem(invite.code, who)).type !== "bound") throw new Error("not bound");
    const link = await signIn.request(who);
    if (link.type !== "created") throw new Error(link.type);
    const response = await fetch(`${app.httpUrl}/console/sign-in?token=${link.token}`, { redirect: "manual" });
    return response.headers.get("set-cookie")!.split(";")[0]!;
  };
  const get = (path: string, cookie?: string) => fetch(`${app.httpUrl}${path}`, { headers: cookie ? { cookie } : {} });

  beforeAll(async () => {
    app = await startTestApp({ env: {} });
    const webSessions = databaseWebSessions(app.db.sql);
    registry = createStaffRegistry({ prisma: app.db.prisma, sql: app.db.sql, townCode: "wujing", webSessions });
    signIn = createStaffSignIn({ prisma: app.db.prisma, townCode: "wujing", registry, webSessions });
    await seedCases(app.db.sql, { townCode: "wujing", count: CASES, now: new Date(), spacingMinutes: 600, claimedBy: FORMULA_LABEL });
    cookies.admin = await bindAndSignIn("admin", { role: "ADMIN", label: "管理员", districtCodes: [], roadCommitteeCodes: [] });
    cookies.district2 = await bindAndSignIn("d2", {
      role: "DISTRICT_STAFF",
      label: "第二片区",
      districtCodes: ["d2"],
      roadCommitteeCodes: [],
    });
    cookies.academy = await bindAndSignIn("academy", {
      role: "ACADEMY_STAFF",
      label: "学院",
      districtCodes: ["d2"],
      roadCommitteeCodes: [],
    });
  }, 120_000);
  afterAll(async () => {
    await app.stop();
  });

  it("answers 401 without a session, for the desk and both exports, showing nothing of any case", async () => {
    for (const path of ["/console/cases", "/console/export.xlsx", "/console/export.csv"]) {
      const response = await get(path);
      expect(response.status, path).toBe(401);
      const body = await response.text();
      expect(body).toContain("请先登录");
      expect(body).not.toContain("-1999-");
    }
  });

  it("lists a page of the filtered cases with the count, links to each case and exports that keep the filters", async () => {
    const submitted = await count(sql`r."status" = 'SUBMITTED'`);
    const response = await get("/console/cases?status=SUBMITTED&sort=oldest", cookies.admin);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    const page = await response.text();
    expect(page).toContain(`第 1–25 条，共 ${submitted} 条`);
    expect(page).toContain('href="case?ref=');
    expect(page).toContain('href="export.xlsx?status=SUBMITTED&amp;sort=oldest"');
    expect(page).toContain('href="export.csv?status=SUBMITTED&amp;sort=oldest"');
    expect(page).toContain('href="cases?status=SUBMITTED&amp;sort=oldest&amp;page=2"');
    expect(page.match(/class="status status-SUBMITTED"/g)).toHaveLength(25);
    expect(page).not.toContain("门口堆放杂物");

    const english = await (await get("/console/cases?status=SUBMITTED&page=2&lang=en", cookies.admin)).text();
    expect(english).toContain(`26–${Math.min(50, submitted)} of ${submitted}`);
  });

  it("shows district staff only the cases of their district", async () => {
    const inDistrict = await count(sql`d."code" = 'd2'`);
    expect(inDistrict).toBeGreaterThan(0);
    expect(inDistrict).toBeLessThan(CASES);
    const page = await (await get("/console/cases?size=100", cookies.district2)).text();
    expect(page).toContain(`共 ${inDistrict} 条`);
  });

  it("gives staff whose role covers no cases a notice instead of a list, and no file", async () => {
    const page = await get("/console/cases", cookies.academy);
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain("您的工作人员身份不负责任何片区的案件");
    expect(body).not.toContain("-1999-");
    const exported = await get("/console/export.csv", cookies.academy);
    expect(exported.status).toBe(403);
    expect(exported.headers.get("content-disposition")).toBeNull();
  });

  it("says politely, in the page's language, which filters could not be used instead of failing", async () => {
    const query = "status=NOPE&district=nowhere&from=2026-13-40&sort=sideways&size=7&page=-1";
    const zh = await get(`/console/cases?${query}`, cookies.admin);
    expect(zh.status).toBe(400);
    const page = await zh.text();
    for (const sentence of [
      "筛选条件有误",
      "状态不在可选范围内",
      "没有这个片区",
      "日期请按 年-月-日 填写",
      "没有这种排序方式",
      "每页条数只能是",
      "页码应为正整数",
    ])
      expect(page).toContain(sentence);
    expect(page).toContain('<form class="panel filters"');
    const en = await (await get(`/console/cases?${query}&lang=en`, cookies.admin)).text();
    expect(en).toContain("Some filters could not be used");
    expect(en).toContain("There is no such district.");
    const control = await get("/console/cases?q=a%00b", cookies.admin);
    expect(control.status).toBe(400);
    expect(await control.text()).toContain("含有无法搜索的字符");
    const exported = await get(`/console/export.csv?${query}`, cookies.admin);
    expect(exported.status).toBe(400);
    expect(exported.headers.get("content-type")).toContain("text/html");
  });

  it("exports every matching case as CSV: BOM, CRLF, quoted fields, guarded formulas, Chinese text, no reporter", async () => {
    const acknowledged = await count(sql`r."status" = 'ACKNOWLEDGED'`);
    const response = await get("/console/export.csv?status=ACKNOWLEDGED", cookies.admin);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const today = localDateOf(new Date(), TOWN_TIME_ZONE);
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="cases-${today}.csv"; filename*=UTF-8''${encodeURIComponent(`案件-${today}.csv`)}`,
    );
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString("utf8").slice(1);
    expect(text.endsWith("\r\n")).toBe(true);
    const lines = text.slice(0, -2).split("\r\n");
    expect(lines[0]).toBe("编号,状态,逾期,类别,地点,片区,路管会,提交时间,最近更新,受理人");
    expect(lines).toHaveLength(acknowledged + 1);
    const first = lines[1]!;
    expect(first).toContain(",已受理,");
    expect(first.endsWith(`,"'=HYPERLINK(""http://example.test"",""a, b"")"`)).toBe(true);
    expect(first).toMatch(/,\d{4}-\d{2}-\d{2} \d{2}:\d{2},\d{4}-\d{2}-\d{2} \d{2}:\d{2},/);
    expect(text).not.toContain("门口堆放杂物");
    expect(text).not.toContain("seed-wujing");
  });

  it("exports every matching case as a workbook with a bold frozen header, widths and real local dates", async () => {
    const response = await get("/console/export.xlsx?district=d2&sort=oldest&lang=en", cookies.admin);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="cases-\d{4}-\d{2}-\d{2}\.xlsx"; filename\*=UTF-8''cases-/,
    );
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await response.arrayBuffer()) as ExcelJS.Buffer);
    const sheet = book.getWorksheet("Cases")!;
    expect(sheet).toBeDefined();
    expect(sheet.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
    expect(sheet.getRow(1).font?.bold).toBe(true);
    expect(sheet.getRow(1).getCell(1).value).toBe("Reference");
    expect(sheet.getColumn(1).width).toBeGreaterThan(10);
    expect(sheet.rowCount - 1).toBe(await count(sql`d."code" = 'd2'`));

    const reference = String(sheet.getRow(2).getCell(1).value);
    const [stored] = await app.db.sql.query<{ createdAt: Date }>(sql`SELECT "createdAt" FROM "Report" WHERE "reference" = ${reference}`);
    const created = sheet.getRow(2).getCell(8).value;
    expect(created).toBeInstanceOf(Date);
    // The cell holds the town's wall-clock time; read as UTC it prints what staff see.
    expect((created as Date).toISOString().slice(0, 16).replace("T", " ")).toBe(localDateTimeOf(stored!.createdAt, TOWN_TIME_ZONE));
    expect(sheet.getColumn(8).numFmt).toBe("yyyy-mm-dd hh:mm");

    const zh = new ExcelJS.Workbook();
    await zh.xlsx.load((await (await get("/console/export.xlsx?district=d2", cookies.admin)).arrayBuffer()) as ExcelJS.Buffer);
    expect(zh.getWorksheet("案件")).toBeDefined();
  });
});
