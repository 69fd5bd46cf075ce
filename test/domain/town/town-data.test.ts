import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { townDataJsonSchema, validateTownData, type TownDataIssue } from "../../../src/domain/town/town-data.ts";

/** The fixture as plain data, the way a YAML or JSON reader hands it over; a fresh copy per call so tests can edit it. */
type Entry = Record<string, unknown>;
type Raw = {
  town: Entry;
  districts: Entry[];
  neighbourhoods: Entry[];
  roadCommittees: (Entry & { roads: string[] })[];
  roads: (Entry & { segments: Entry[] })[];
  categories: Entry[];
  merchants?: Entry[];
};
const fixture = readFileSync(path.resolve(import.meta.dirname, "../../fixtures/town/minimal.yaml"), "utf8");
const minimal = (): Raw => parse(fixture) as Raw;

function issuesOf(input: unknown): TownDataIssue[] {
  const result = validateTownData(input);
  if (result.success) throw new Error("expected the data to be rejected");
  return result.issues;
}

const pathsOf = (input: unknown) => issuesOf(input).map((issue) => issue.path);

describe("town data validation", () => {
  it("a complete town is accepted with aliases and parity defaulted and boundary rings closed", () => {
    const result = validateTownData(minimal());
    expect(result.success).toBe(true);
    if (!result.success) return;
    const { data } = result;
    expect(data.neighbourhoods[1]!.aliases).toEqual([]);
    expect(data.roads[1]!.segments[0]!.parity).toBe("all");
    const ring = data.districts[0]!.boundary![0]!;
    expect(ring).toHaveLength(5);
    expect(ring[4]).toEqual(ring[0]);
    expect(data.districts[1]!.boundary).toBeUndefined();
  });

  it("a town without merchants or keywords of its fallback category gets empty lists", () => {
    const raw = minimal();
    delete raw.merchants;
    const result = validateTownData(raw);
    expect(result.success).toBe(true);
    if (!result.success) return;
    expect(result.data.merchants).toEqual([]);
    expect(result.data.categories.find((c) => c.code === "other")!.keywords).toEqual([]);
    expect(result.data.categories[1]!.routeTo).toEqual({ district: "south" });
  });

  it("a town without a reference prefix is reported at the prefix: no other town's prefix is assumed", () => {
    const raw = minimal();
    delete raw.town.referencePrefix;
    expect(issuesOf(raw).map((i) => i.path)).toEqual([["town", "referencePrefix"]]);
  });

  it("a reference prefix that is not 2-4 uppercase letters is reported at the prefix", () => {
    for (const prefix of ["wj", "W", "WUJIN", "W1"]) {
      const raw = minimal();
      raw.town.referencePrefix = prefix;
      const issues = issuesOf(raw);
      expect(issues.map((i) => i.path)).toEqual([["town", "referencePrefix"]]);
      expect(issues[0]!.message).toContain("2–4");
    }
  });

  it("a category routed to an unknown district or road committee is reported at that code", () => {
    const raw = minimal();
    raw.categories[1]!.routeTo = { district: "west" };
    raw.categories[0]!.routeTo = { roadCommittee: "rc-z" };
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([
      ["categories", 0, "routeTo", "roadCommittee"],
      ["categories", 1, "routeTo", "district"],
    ]);
    expect(issues[0]!.message).toContain('"rc-z"');
    expect(issues[1]!.message).toContain('"west"');
  });

  it("a category route naming both a road committee and a district, or neither, is reported at routeTo", () => {
    const both = minimal();
    both.categories[1]!.routeTo = { district: "south", roadCommittee: "rc-a" };
    const neither = minimal();
    neither.categories[1]!.routeTo = {};
    for (const raw of [both, neither]) {
      const issues = issuesOf(raw);
      expect(issues.map((i) => i.path)).toEqual([["categories", 1, "routeTo"]]);
      expect(issues[0]!.message).toMatch(/roadCommittee.*district/);
    }
  });

  it("a second category reusing a code is reported at its own code", () => {
    const raw = minimal();
    raw.categories[1]!.code = "stalls";
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([["categories", 1, "code"]]);
    expect(issues[0]!.message).toContain("categories[0]");
  });

  it("a town without the fallback category other is reported at its categories list", () => {
    const raw = minimal();
    raw.categories[2]!.code = "misc";
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([["categories"]]);
    expect(issues[0]!.message).toContain('"other"');
  });

  it("a town without any category is rejected once, for lacking the fallback category", () => {
    const raw = minimal();
    raw.categories = [];
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([["categories"]]);
    expect(issues[0]!.message).toContain('"other"');
  });

  it("a merchant on an unknown road, or reusing a code, is reported at that field", () => {
    const raw = minimal();
    raw.merchants![0]!.road = "lane";
    raw.merchants![1]!.code = "tea";
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([
      ["merchants", 1, "code"],
      ["merchants", 0, "road"],
    ]);
    expect(issues[1]!.message).toContain('"lane"');
  });

  it("a merchant at a house number outside its road's segments is reported with the segments it could use", () => {
    const raw = minimal();
    raw.merchants![0] = { code: "tea", name: "短街茶铺", nameEn: "Short Street Tea", road: "short", houseNumber: 51 };
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([["merchants", 0, "houseNumber"]]);
    expect(issues[0]!.message).toContain("1–50");
    expect(issues[0]!.message).toContain("Short Street has no number 51");
  });

  it("a merchant's house number must also have the parity of a segment that spans it", () => {
    const raw = minimal();
    raw.roads[2]!.segments = [{ from: 1, to: 29, parity: "odd", district: "north" }];
    raw.merchants![1]!.houseNumber = 12;
    expect(pathsOf(raw)).toEqual([["merchants", 1, "houseNumber"]]);
    raw.merchants![1]!.houseNumber = 13;
    expect(validateTownData(raw).success).toBe(true);
  });

  it("a neighbourhood naming an unknown district is reported at its district field", () => {
    const raw = minimal();
    raw.neighbourhoods[1]!.district = "east";
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([["neighbourhoods", 1, "district"]]);
    expect(issues[0]!.message).toContain('"east"');
  });

  it("a second entry reusing a code is reported at its own code", () => {
    const raw = minimal();
    raw.neighbourhoods[2]!.code = "pine";
    delete raw.roads[1]!.segments[0]!.neighbourhood;
    expect(pathsOf(raw)).toEqual([["neighbourhoods", 2, "code"]]);
  });

  it("a road that no road committee covers is reported at the road", () => {
    const raw = minimal();
    raw.roadCommittees[1]!.roads = ["short"];
    expect(pathsOf(raw)).toEqual([["roads", 2, "code"]]);
  });

  it("a road claimed by two road committees is reported at the second claim", () => {
    const raw = minimal();
    raw.roadCommittees[1]!.roads = ["short", "river", "long"];
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([["roadCommittees", 1, "roads", 2]]);
    expect(issues[0]!.message).toContain("roadCommittees[0]");
  });

  it("a road committee naming an unknown road is reported at that entry", () => {
    const raw = minimal();
    raw.roadCommittees[0]!.roads = ["long", "lane"];
    expect(pathsOf(raw)).toEqual([["roadCommittees", 0, "roads", 1]]);
  });

  it("a segment whose first number exceeds its last is reported at from", () => {
    const raw = minimal();
    raw.roads[1]!.segments[0]!.from = 60;
    expect(pathsOf(raw)).toEqual([["roads", 1, "segments", 0, "from"]]);
  });

  it("segments of one road sharing a house number of the same parity are reported as overlapping", () => {
    const raw = minimal();
    raw.roads[0]!.segments.push({ from: 51, to: 60, parity: "odd", district: "north" });
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([["roads", 0, "segments", 3]]);
    expect(issues[0]!.message).toContain("segments[0]");
    expect(issues[0]!.message).toContain("51");
  });

  it("an all-numbers segment overlaps an odd one only where an odd number is shared", () => {
    const overlapping = minimal();
    overlapping.roads[1]!.segments.push({ from: 49, to: 51, parity: "odd", district: "south" });
    expect(pathsOf(overlapping)).toEqual([["roads", 1, "segments", 1]]);

    const touching = minimal();
    touching.roads[1]!.segments.push({ from: 50, to: 60, parity: "odd", district: "south" });
    expect(validateTownData(touching).success).toBe(true);
  });

  it("odd and even segments over the same numbers do not overlap", () => {
    const raw = minimal();
    raw.roads[2]!.segments = [
      { from: 1, to: 30, parity: "odd", district: "north" },
      { from: 1, to: 30, parity: "even", district: "north" },
    ];
    expect(validateTownData(raw).success).toBe(true);
  });

  it("segments naming an unknown district or neighbourhood are reported at those fields", () => {
    const raw = minimal();
    raw.roads[2]!.segments[0] = { from: 1, to: 30, district: "west", neighbourhood: "oak" };
    expect(pathsOf(raw)).toEqual([
      ["roads", 2, "segments", 0, "district"],
      ["roads", 2, "segments", 0, "neighbourhood"],
    ]);
  });

  it("a segment whose neighbourhood lies in another district is reported at the neighbourhood", () => {
    const raw = minimal();
    raw.roads[2]!.segments[0]!.neighbourhood = "bamboo";
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([["roads", 2, "segments", 0, "neighbourhood"]]);
    expect(issues[0]!.message).toContain('"south"');
  });

  it("a boundary ring with fewer than three distinct points is rejected even when closed", () => {
    const raw = minimal();
    raw.districts[0]!.boundary = [
      [
        [121.4, 31.05],
        [121.5, 31.05],
        [121.4, 31.05],
      ],
    ];
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([["districts", 0, "boundary", 0]]);
    expect(issues[0]!.message).toContain("3");
  });

  it("a boundary ring whose points lie on one line is rejected", () => {
    const raw = minimal();
    raw.districts[0]!.boundary = [
      [
        [121.4, 31.0],
        [121.45, 31.05],
        [121.5, 31.1],
      ],
    ];
    expect(pathsOf(raw)).toEqual([["districts", 0, "boundary", 0]]);
  });

  it("a latitude out of range is reported at that coordinate, catching swapped longitude and latitude", () => {
    const raw = minimal();
    raw.districts[0]!.boundary = [
      [
        [121.4, 31.05],
        [31.05, 121.5],
        [121.5, 31.1],
      ],
    ];
    expect(pathsOf(raw)).toEqual([["districts", 0, "boundary", 0, 1, 1]]);
  });

  it("a district committee without a director, or with two deputy directors, is reported", () => {
    const raw = minimal();
    raw.districts[0]!.members = [
      { role: "DEPUTY_DIRECTOR", title: "专职副主任", titleEn: "Deputy Director" },
      { role: "DEPUTY_DIRECTOR", title: "专职副主任", titleEn: "Deputy Director" },
    ];
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([
      ["districts", 0, "members"],
      ["districts", 0, "members", 1, "role"],
    ]);
    expect(issues[0]!.message).toContain("DIRECTOR");
  });

  it("an unknown field is reported at the field itself", () => {
    const raw = minimal();
    raw.town.nmae = "测试镇";
    expect(pathsOf(raw)).toEqual([["town", "nmae"]]);
  });

  it("a missing field and a bad role are worded in Chinese first, then English", () => {
    const raw = minimal();
    delete raw.town.officePhone;
    (raw.districts[1]!.members as Entry[])[2]!.role = "CHAIR";
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual([
      ["town", "officePhone"],
      ["districts", 1, "members", 2, "role"],
    ]);
    expect(issues[0]!.message).toBe("缺少必填字段 / required field is missing");
    expect(issues[1]!.message).toMatch(/^[^a-z]*无效.* \/ Invalid option/);
  });

  it("the editor schema describes every field in Chinese and English and leaves defaulted fields optional", () => {
    const schema = townDataJsonSchema() as {
      properties: {
        roads: {
          items: {
            required: string[];
            properties: { segments: { items: { required: string[]; properties: Record<string, { description?: string }> } } };
          };
        };
      };
    };
    const road = schema.properties.roads.items;
    expect(road.required).not.toContain("aliases");
    const segment = road.properties.segments.items;
    expect(segment.required).toEqual(["from", "to", "district"]);
    expect(segment.properties.parity!.description).toMatch(/单号[\s\S]*\n[\s\S]*odd/);
  });

  it("the editor schema requires categories, leaves merchants and the reference prefix optional, and explains routing in both languages", () => {
    const schema = townDataJsonSchema() as {
      required: string[];
      properties: {
        town: { required: string[] };
        categories: { items: { required: string[]; properties: { routeTo: { description: string }; clause: { required: string[] } } } };
        merchants: { items: { required: string[] } };
      };
    };
    expect(schema.required).toContain("categories");
    expect(schema.required).not.toContain("merchants");
    expect(schema.properties.town.required).toContain("referencePrefix");
    const category = schema.properties.categories.items;
    expect(category.required).toEqual(["code", "name", "nameEn", "clause"]);
    expect(category.properties.clause.required).toEqual(["ref", "text", "textEn"]);
    expect(category.properties.routeTo.description).toMatch(/改派[\s\S]*\n[\s\S]*routing/);
    expect(schema.properties.merchants.items.required).toEqual(["code", "name", "nameEn", "road"]);
  });
});

describe("alert destinations in town data", () => {
  it("a destination needs exactly one address and known district, road committee and category codes", () => {
    const raw = minimal() as Raw & { alertDestinations: Entry[] };
    const district = String(raw.districts[0]!.code);
    raw.alertDestinations = [
      { code: "ok", name: "工作群", telegramChatId: "-1001234567890", districts: [district] },
      { code: "no-address", name: "没有地址" },
      {
        code: "both",
        name: "两个地址",
        telegramChatId: "-1001",
        wecomRobotUrl: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
      },
      {
        code: "unknown",
        name: "未知代码",
        telegramChatId: "-1001234567891",
        districts: ["nowhere"],
        roadCommittees: ["nope"],
        categories: ["nothing"],
      },
    ];
    const paths = pathsOf(raw).map((p) => p.join("."));
    expect(paths).toEqual(
      expect.arrayContaining([
        "alertDestinations.1",
        "alertDestinations.2.telegramChatId",
        "alertDestinations.3.districts.0",
        "alertDestinations.3.roadCommittees.0",
        "alertDestinations.3.categories.0",
      ]),
    );
    expect(paths.some((p) => p.startsWith("alertDestinations.0"))).toBe(false);
  });
});
