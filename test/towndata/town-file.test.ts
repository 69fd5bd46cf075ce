import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTownFile, renderTownSchemaJson, TOWN_SCHEMA_FILE, TownDataError } from "../../src/towndata/town-file.ts";
import type { DataFileIssue } from "../../src/towndata/yaml-data.ts";

const SAMPLE = path.resolve(import.meta.dirname, "../../data/wujing.sample.yaml");

let sampleText: string;
let dir: string;
beforeAll(async () => {
  sampleText = await readFile(SAMPLE, "utf8");
  dir = await mkdtemp(path.join(tmpdir(), "linli-town-file-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The sample with one piece of text replaced; fails loudly if the text is not in the sample any more. */
function edit(text: string, from: string, to: string): string {
  expect(text, `the sample no longer contains ${JSON.stringify(from)}`).toContain(from);
  return text.replace(from, to);
}

/** 1-based line and column where `marker` starts in `text`. */
function positionOf(text: string, marker: string): { line: number; column: number } {
  const offset = text.indexOf(marker);
  expect(offset, `marker ${JSON.stringify(marker)} not found`).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

let fileCount = 0;
async function write(text: string): Promise<string> {
  const file = path.join(dir, `town-${++fileCount}.yaml`);
  await writeFile(file, text);
  return file;
}

async function issuesOf(text: string): Promise<{ file: string; error: TownDataError }> {
  const file = await write(text);
  const error = await readTownFile(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TownDataError);
  return { file, error: error as TownDataError };
}

describe("the Wujing sample file", () => {
  it("parses, and its hash is the SHA-256 of its bytes", async () => {
    const { data, hash } = await readTownFile(SAMPLE);
    expect(hash).toBe(
      createHash("sha256")
        .update(await readFile(SAMPLE))
        .digest("hex"),
    );
    expect(data.town.code).toBe("wujing");
  });

  it("is marked as sample at the top and in its data, and points editors at the schema", async () => {
    const { data } = await readTownFile(SAMPLE);
    const lines = sampleText.split("\n");
    expect(lines[0]).toBe("# yaml-language-server: $schema=./town.schema.json");
    expect(lines.slice(0, 6).join("\n")).toMatch(/示例数据 · SAMPLE DATA/);
    expect(data.town.sample).toBe(true);
    expect(data.town.officeName).toContain("示例");
    expect(data.town.officeNameEn).toContain("example");
  });

  it("uses only example phone numbers and role titles, never people's names", async () => {
    const { data } = await readTownFile(SAMPLE);
    const phones = [
      data.town.officePhone,
      ...data.districts.map((d) => d.officePhone),
      ...data.neighbourhoods.map((n) => n.committeePhone),
      ...data.roadCommittees.map((c) => c.officePhone),
    ];
    for (const phone of phones) expect(phone).toMatch(/^021-0000-\d{4}$/);
    const members = data.districts.flatMap((d) => d.members);
    expect(members.every((m) => m.personName === undefined && m.contact === undefined)).toBe(true);
    expect(members.filter((m) => m.role === "DIRECTOR").map((m) => m.title)).toContain("第一片区治理委员会主任（镇领导班子成员）");
    expect(members.map((m) => m.title)).toEqual(
      expect.arrayContaining(["城管执法中队代表", "派出所社区民警代表", "市场监管所代表", "房管办代表"]),
    );
  });

  it("has the districts, neighbourhoods, roads and the seven road committees the article describes", async () => {
    const { data } = await readTownFile(SAMPLE);
    expect(data.districts.length).toBeGreaterThanOrEqual(4);
    expect(data.roadCommittees).toHaveLength(7);
    expect(data.roadCommittees.flatMap((c) => c.roads).sort()).toEqual(data.roads.map((r) => r.code).sort());
    expect(data.neighbourhoods.length).toBeGreaterThanOrEqual(10);
    expect(data.roads.length).toBeGreaterThanOrEqual(12);

    const yongde = data.roads.find((r) => r.name === "永德路")!;
    expect(yongde.aliases).toContain("永德");
    expect(yongde.segments.length).toBeGreaterThanOrEqual(3);
    expect(data.neighbourhoods.find((n) => n.name === "紫竹半岛居民区")!.aliases).toEqual(
      expect.arrayContaining(["紫竹半岛", "紫竹半岛小区"]),
    );
    expect(data.neighbourhoods.find((n) => n.name === "虹梅新苑第二居民区")!.aliases).toEqual(
      expect.arrayContaining(["虹梅新苑二居", "虹梅新苑第二"]),
    );

    const crossing = data.roads.filter((r) => new Set(r.segments.map((s) => s.district)).size > 1);
    expect(crossing.length).toBeGreaterThanOrEqual(3);
  });

  it("has the nine street-compact categories, each with a clause in both languages and keywords in Chinese and English", async () => {
    const { data } = await readTownFile(SAMPLE);
    expect(data.town.referencePrefix).toBe("WJ");
    expect(data.categories.map((c) => c.name)).toEqual([
      "占道经营",
      "乱堆乱放",
      "违规停车",
      "噪音扰民",
      "油烟扰民",
      "环境卫生",
      "破坏绿化",
      "违规店招广告",
      "其他",
    ]);
    expect(data.categories.at(-1)!.code).toBe("other");
    expect(new Set(data.categories.map((c) => c.clause.ref)).size).toBe(data.categories.length);
    for (const category of data.categories.filter((c) => c.code !== "other")) {
      expect(category.keywords.filter((k) => /[\u4e00-\u9fff]/.test(k)).length, category.code).toBeGreaterThanOrEqual(6);
      expect(category.keywords.filter((k) => /^[a-z ]+$/.test(k)).length, category.code).toBeGreaterThanOrEqual(3);
    }
    // A word listed under two categories could never suggest either with confidence.
    const keywords = data.categories.flatMap((c) => c.keywords);
    expect(keywords.length).toBe(new Set(keywords).size);
    expect(sampleText).toMatch(/条款文字为示意写法，不是已公布的公约原文[\s\S]*illustrative, NOT the published compact/);
  });

  it("routes damaged greening to a road committee and says why", async () => {
    const { data } = await readTownFile(SAMPLE);
    const overridden = data.categories.filter((c) => c.routeTo !== undefined);
    expect(overridden).toEqual([expect.objectContaining({ code: "greening", routeTo: { roadCommittee: "rc1" } })]);
    expect(sampleText.slice(0, sampleText.indexOf("- code: greening"))).toMatch(/改派示例[\s\S]*Routing example/);
  });

  it("lists about a dozen clearly sample shops on Yongde Road and a few on other roads", async () => {
    const { data } = await readTownFile(SAMPLE);
    const onYongde = data.merchants.filter((m) => m.road === "yongde");
    expect(onYongde.length).toBeGreaterThanOrEqual(12);
    expect(onYongde.every((m) => m.houseNumber !== undefined)).toBe(true);
    expect(data.merchants.length).toBeGreaterThan(onYongde.length);
    for (const merchant of data.merchants) {
      expect(merchant.name).toContain("示例");
      expect(merchant.nameEn).toMatch(/^Sample /);
    }
    expect(onYongde.find((m) => m.houseNumber === 12)!.name).toBe("永德路示例面馆");
  });

  it("gives every district an approximate boundary around Wujing", async () => {
    const { data } = await readTownFile(SAMPLE);
    for (const district of data.districts) {
      for (const [lng, lat] of district.boundary!.flat()) {
        expect(lng).toBeGreaterThanOrEqual(121.41);
        expect(lng).toBeLessThanOrEqual(121.5);
        expect(lat).toBeGreaterThanOrEqual(31.0);
        expect(lat).toBeLessThanOrEqual(31.07);
      }
    }
  });
});

describe("problems in a town-data file", () => {
  const cases: { name: string; from: string; to: string; field: string; marker: string }[] = [
    {
      name: "a neighbourhood with an unknown district",
      from: "    district: d1\n    committeeName: 虹梅新苑第二居民区居委会",
      to: "    district: d9\n    committeeName: 虹梅新苑第二居民区居委会",
      field: "neighbourhoods[1].district",
      marker: "district: d9",
    },
    {
      name: "a road code used twice",
      from: "  - code: heqing\n    name: 鹤庆路",
      to: "  - code: yongde\n    name: 鹤庆路",
      field: "roads[1].code",
      marker: "code: yongde\n    name: 鹤庆路",
    },
    {
      name: "a road no road committee covers",
      from: "roads: [huaning, lanping]",
      to: "roads: [huaning]",
      field: "roads[9].code",
      marker: "code: lanping\n    name: 兰坪路",
    },
    {
      name: "a road covered by two road committees",
      from: "roads: [zixing, zilong]",
      to: "roads: [zixing, zilong, yongde]",
      field: "roadCommittees[6].roads[2]",
      marker: "yongde]",
    },
    {
      name: "a segment whose from exceeds its to",
      from: "{ from: 1, to: 300, district: d2, neighbourhood: jinghong }",
      to: "{ from: 310, to: 300, district: d2, neighbourhood: jinghong }",
      field: "roads[3].segments[0].from",
      marker: "from: 310",
    },
    {
      name: "overlapping segments on Yongde Road",
      from: "{ from: 101, to: 299, district: d2, neighbourhood: cangyuan }",
      to: "{ from: 99, to: 299, district: d2, neighbourhood: cangyuan }",
      field: "roads[0].segments[2]",
      marker: "{ from: 99, to: 299",
    },
    {
      name: "a segment naming an unknown neighbourhood",
      from: "{ from: 800, to: 1800, district: d4, neighbourhood: zixing }",
      to: "{ from: 800, to: 1800, district: d4, neighbourhood: zixin }",
      field: "roads[10].segments[1].neighbourhood",
      marker: "neighbourhood: zixin }",
    },
    {
      name: "a boundary ring of two points",
      from: "- [[121.410, 31.034], [121.428, 31.033], [121.447, 31.036], [121.443, 31.052], [121.445, 31.070], [121.410, 31.070], [121.410, 31.034]]",
      to: "- [[121.410, 31.034], [121.428, 31.033]]",
      field: "districts[0].boundary[0]",
      marker: "[[121.410, 31.034], [121.428, 31.033]]",
    },
    {
      name: "a latitude out of range",
      from: "[121.450, 31.018]",
      to: "[121.450, 91.018]",
      field: "districts[2].boundary[0][2][1]",
      marker: "91.018",
    },
    {
      name: "a second director on a district committee",
      from: "      - role: DEPUTY_DIRECTOR\n        title: 第二片区治理委员会专职副主任",
      to: "      - role: DIRECTOR\n        title: 第二片区治理委员会专职副主任",
      field: "districts[1].members[1].role",
      marker: "role: DIRECTOR\n        title: 第二片区治理委员会专职副主任",
    },
    {
      name: "a misspelt field",
      from: "  sample: true\n",
      to: "  sample: true\n  smaple: false\n",
      field: "town.smaple",
      marker: "smaple: false",
    },
    {
      name: "a value of the wrong type",
      from: "  sample: true\n",
      to: "  sample: yes\n",
      field: "town.sample",
      marker: "sample: yes",
    },
    {
      name: "a reference prefix in lowercase",
      from: "  referencePrefix: WJ\n",
      to: "  referencePrefix: wj\n",
      field: "town.referencePrefix",
      marker: "referencePrefix: wj",
    },
    {
      name: "a category routed to an unknown road committee",
      from: "routeTo: { roadCommittee: rc1 }",
      to: "routeTo: { roadCommittee: rc9 }",
      field: "categories[6].routeTo.roadCommittee",
      marker: "roadCommittee: rc9",
    },
    {
      name: "a category code used twice",
      from: "  - code: fumes\n",
      to: "  - code: noise\n",
      field: "categories[4].code",
      marker: "code: noise\n    name: 油烟扰民",
    },
    {
      name: "no fallback category other",
      from: "  - code: other\n    name: 其他",
      to: "  - code: misc\n    name: 其他",
      field: "categories",
      marker: "categories:\n  - code: pavement-trading",
    },
    {
      name: "a merchant on an unknown road",
      from: "road: jinghong }",
      to: "road: jinhong }",
      field: "merchants[14].road",
      marker: "road: jinhong }",
    },
    {
      name: "a merchant at a house number Yongde Road does not have",
      from: "road: yongde, houseNumber: 402 }",
      to: "road: yongde, houseNumber: 602 }",
      field: "merchants[11].houseNumber",
      marker: "houseNumber: 602 }",
    },
    {
      name: "a missing required field, reported at the entry that lacks it",
      from: "    nameEn: Jianchuan Road\n",
      to: "",
      field: "roads[4].nameEn",
      marker: "code: jianchuan\n    name: 剑川路",
    },
  ];

  it.each(cases)("$name is reported with its line, column and field", async ({ from, to, field, marker }) => {
    const text = edit(sampleText, from, to);
    const { file, error } = await issuesOf(text);
    const expected = { ...positionOf(text, marker), field };
    expect(error.issues).toContainEqual<DataFileIssue>({ ...expected, message: expect.any(String) as string });
    expect(error.file).toBe(file);
    expect(error.message).toContain(`${file}:${expected.line}:${expected.column} ${field}: `);
  });

  it("a committee left without a deputy director is reported at its members list", async () => {
    const text = edit(
      sampleText,
      "      - role: DEPUTY_DIRECTOR\n        title: 第二片区治理委员会专职副主任",
      "      - role: MANAGEMENT\n        title: 第二片区治理委员会专职副主任",
    );
    const { error } = await issuesOf(text);
    const membersKey = text.indexOf("members:", text.indexOf("code: d2"));
    const issue = error.issues.find((i) => i.field === "districts[1].members");
    expect(issue).toMatchObject({ line: text.slice(0, membersKey).split("\n").length, column: 5 });
    expect(issue!.message).toContain("DEPUTY_DIRECTOR");
  });

  it("a YAML syntax error is reported as such, at or after the broken line", async () => {
    const text = edit(sampleText, "  sample: true\n", "  sample: [true\n");
    const { error } = await issuesOf(text);
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.issues[0]!.field).toBe("(yaml)");
    expect(error.issues[0]!.line).toBeGreaterThanOrEqual(positionOf(text, "sample: [true").line);
    expect(error.issues[0]!.message).toMatch(/YAML/);
  });

  it("every problem is reported in one error, in line order, each in Chinese and English", async () => {
    let text = edit(
      sampleText,
      "{ from: 1, to: 300, district: d2, neighbourhood: jinghong }",
      "{ from: 310, to: 300, district: d2, neighbourhood: jinghong }",
    );
    text = edit(
      text,
      "    district: d1\n    committeeName: 虹梅新苑第二居民区居委会",
      "    district: d9\n    committeeName: 虹梅新苑第二居民区居委会",
    );
    const { file, error } = await issuesOf(text);
    expect(error.issues.map((i) => i.field)).toEqual(["neighbourhoods[1].district", "roads[3].segments[0].from"]);
    for (const issue of error.issues) expect(issue.message).toMatch(/[\u4e00-\u9fff].* \/ [a-z]/);
    const lines = error.message.split("\n");
    expect(lines[0]).toContain(file);
    expect(lines[0]).toContain("2");
    expect(lines.slice(1).map((l) => l.trim().split(" ")[0])).toEqual(error.issues.map((i) => `${file}:${i.line}:${i.column}`));
  });

  it("an empty file is reported as a whole", async () => {
    const { error } = await issuesOf("");
    expect(error.issues).toEqual([{ line: 1, column: 1, field: "(root)", message: expect.stringContaining("object") as string }]);
  });
});

describe("the editor JSON Schema", () => {
  it("the committed data/town.schema.json is exactly what the generator produces now", async () => {
    expect(await readFile(TOWN_SCHEMA_FILE, "utf8")).toBe(renderTownSchemaJson());
  });
});
