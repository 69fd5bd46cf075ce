import { performance } from "node:perf_hooks";
import { GridIndex, type GridSnapshot } from "../src/domain/grid/index.ts";
import { percentiles } from "./stats.ts";

/**
 * Lookup speed over a town of `size` neighbourhoods and as many roads: the
 * "who runs my district" index must answer well under a millisecond.
 */
export function benchLookup(size: number, rounds: number) {
  const index = new GridIndex(syntheticTown(size));
  const names = index.snapshot.neighbourhoods.map((n) => n.name.zh);
  const roads = index.snapshot.roads.map((r) => r.name.zh);
  const queries = [
    ...names.map((name) => `${name}归哪个片区管？`),
    ...roads.map((road, i) => `${road}${(i % 50) * 2 + 1}号`),
    ...names.map((name) => name.slice(0, 2)),
    ...names.map((name) => `${name.slice(0, 1)}错${name.slice(2, 4)}`),
    "火星基地在哪",
  ];
  for (const query of queries) index.lookup(query);
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const query of queries) {
      const start = performance.now();
      index.lookup(query);
      samples.push(performance.now() - start);
    }
  }
  const { count, meanMs, p50Ms, p99Ms } = percentiles(samples);
  return { places: size * 2, lookups: count, meanMs, p50Ms, p99Ms };
}

const SYLLABLES = "紫竹虹梅剑川莲花鹤庆景洪龙吴沧源华宁兰坪东川宝秀星龙德永新苑金平塘湾和平友爱通海春申彩云光明松柏桂林".split("");

function syntheticName(i: number): string {
  const a = SYLLABLES[i % SYLLABLES.length]!;
  const b = SYLLABLES[Math.floor(i / SYLLABLES.length) % SYLLABLES.length]!;
  const c = SYLLABLES[Math.floor(i / SYLLABLES.length ** 2) % SYLLABLES.length]!;
  return `${a}${b}${c}`;
}

function syntheticTown(size: number): GridSnapshot {
  const districtCodes = ["d1", "d2", "d3", "d4", "d5", "d6"];
  return {
    town: {
      code: "bench",
      name: { zh: "基准镇", en: "Bench" },
      office: { name: { zh: "镇", en: "Town" }, phone: "0", hours: { zh: "", en: "" }, address: "" },
      referencePrefix: "BN",
      isSample: true,
    },
    districts: districtCodes.map((code, i) => ({
      code,
      name: { zh: `第${i + 1}片区`, en: `District ${i + 1}` },
      committee: {
        name: { zh: "委员会", en: "Committee" },
        officePhone: "0",
        officeHours: { zh: "", en: "" },
        officeAddress: "",
        members: [],
      },
      boundary: [
        [
          [121.4 + i * 0.01, 31],
          [121.41 + i * 0.01, 31],
          [121.41 + i * 0.01, 31.01],
          [121.4 + i * 0.01, 31.01],
        ],
      ],
    })),
    neighbourhoods: Array.from({ length: size }, (_, i) => ({
      code: `n${i}`,
      districtCode: districtCodes[i % districtCodes.length]!,
      name: { zh: `${syntheticName(i)}居民区`, en: `Neighbourhood ${i}` },
      aliases: [`${syntheticName(i)}小区`],
      committee: { name: { zh: "居委会", en: "RC" }, phone: "0", address: "" },
      partyOrganisation: null,
    })),
    roadCommittees: [{ code: "rc1", name: { zh: "路管会", en: "Road committee" }, phone: "0", address: "" }],
    roads: Array.from({ length: size }, (_, i) => ({
      code: `r${i}`,
      name: { zh: `${syntheticName(i + size)}路`, en: `Road ${i}` },
      aliases: [],
      roadCommitteeCode: "rc1",
      segments: [
        { from: 1, to: 99, parity: "ALL" as const, districtCode: districtCodes[i % 6]!, neighbourhoodCode: `n${i}` },
        { from: 100, to: 999, parity: "ALL" as const, districtCode: districtCodes[(i + 1) % 6]!, neighbourhoodCode: null },
      ],
    })),
  };
}
