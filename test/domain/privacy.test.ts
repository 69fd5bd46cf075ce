import { describe, expect, it } from "vitest";
import { maskPersonalNumbers, withoutPersonalNumbers } from "../../src/domain/privacy.ts";
import { createLogger } from "../../src/log.ts";

/** Numbers as residents type them, each with how anyone but the staff handling the case must read it. */
const MASKED: [written: string, shown: string][] = [
  // Mobiles
  ["电话13812345678", "电话138****5678"],
  ["１３８１２３４５６７８", "138****5678"],
  ["电话：１３８１２３４５６７８。", "电话：138****5678。"],
  ["138.1234.5678", "138****5678"],
  ["138 1234 5678", "138****5678"],
  ["138-1234-5678", "138****5678"],
  ["138　1234　5678", "138****5678"],
  ["138—1234—5678", "138****5678"],
  ["138 - 1234 - 5678", "138****5678"],
  ["１３８－１２３４－５６７８", "138****5678"],
  ["１３８．１２３４．５６７８", "138****5678"],
  ["138\u200b1234\u200b5678", "138****5678"],
  ["1381 2345 678", "138****5678"],
  ["1381234 5678", "138****5678"],
  ["138 12345678", "138****5678"],
  ["+86 138 1234 5678", "138****5678"],
  ["+8613812345678", "138****5678"],
  ["+86-138-1234-5678", "138****5678"],
  ["＋８６ １３８ １２３４ ５６７８", "138****5678"],
  ["(+86)13812345678", "138****5678"],
  ["（86）13812345678", "138****5678"],
  ["008613812345678", "138****5678"],
  ["联系 86-139-8765-4321", "联系 139****4321"],
  ["Tel:17712345678", "Tel:177****5678"],
  ["13812345678号", "138****5678号"],
  ["2026-03-02 13812345678", "2026-03-02 138****5678"],
  ["找老王13812345678或者老李19987654321", "找老王138****5678或者老李199****4321"],
  // Resident ID numbers
  ["身份证310104199001011234", "身份证310*************34"],
  ["ID 31010419900101123X.", "ID 310*************3X."],
  ["31010419900101123x", "310*************3X"],
  ["３１０１０４１９９００１０１１２３４", "310*************34"],
  ["３１０１０４１９９００１０１１２３Ｘ", "310*************3X"],
  ["310104 19900101 1234", "310*************34"],
  ["310104-1990-0101-123X", "310*************3X"],
  ["310104 1990 0101 123X", "310*************3X"],
  ["老身份证310104900101123", "老身份证310**********23"],
  ["310104 900101 123", "310**********23"],
  // Landlines with an area code
  ["(021)5432-1234", "021-****34"],
  ["（021）54321234", "021-****34"],
  ["(021) 5432 1234", "021-****34"],
  ["021-54321234", "021-****34"],
  ["0215432 1234", "021-****34"],
  ["021 5432 1234", "021-****34"],
  ["店里电话021-6453 1234", "店里电话021-****34"],
  ["０２１－５４３２１２３４", "021-****34"],
  ["010-88886666", "010-****66"],
  ["0755 12345678", "0755-****78"],
  ["0571-8765432", "0571-****32"],
  ["+86 21 5432 1234", "021-****34"],
  ["+86 (0)21 5432 1234", "021-****34"],
  ["0086 21 5432 1234", "021-****34"],
];

/** Numbers that are not anyone's phone or ID and must be left exactly as typed. */
const LEFT_ALONE: string[] = [
  "永德路128号门口",
  "128号",
  "3栋1201室",
  "1-2-301室",
  "2026年3月2日 22:30",
  "2026-03-02",
  "2026.03.02",
  "20260302",
  "2026-12-07 08:00",
  "14:30-15:30",
  "¥13.80",
  "一份13800元",
  "电话费138元",
  "价格13.5 14.2 15.8",
  "见 WJ-2026-000123",
  "WJ-2026-021543",
  "热线12345",
  "400-820-8820",
  "95588",
  "邮编200241",
  "房号 1301 1302 1303",
  "第12345678号订单",
  "本地号码5432 1234",
  "1765123456789",
];

describe("masking personal numbers in free text", () => {
  it("has a table of at least 50 written forms, masked and left alone", () => {
    expect(MASKED.length + LEFT_ALONE.length).toBeGreaterThanOrEqual(50);
  });

  it.each(MASKED)("masks %j as %j", (written, shown) => {
    expect(maskPersonalNumbers(written)).toBe(shown);
  });

  it.each(LEFT_ALONE)("leaves %j as typed", (text) => {
    expect(maskPersonalNumbers(text)).toBe(text);
  });

  it("masks every number in a text that has several kinds, and leaves the rest of the sentence as written", () => {
    const text =
      "永德路12号门口，2026年3月2日 22:30，王先生１３８ １２３４ ５６７８，店里(021)5432-1234，身份证310104 19900101 1234，见 WJ-2026-000123";
    expect(maskPersonalNumbers(text)).toBe(
      "永德路12号门口，2026年3月2日 22:30，王先生138****5678，店里021-****34，身份证310*************34，见 WJ-2026-000123",
    );
  });

  it("takes out of a text what it would mask, leaving house numbers and dates to be read", () => {
    expect(withoutPersonalNumbers("华宁路128号，我电话 138-1234-5678")).toBe("华宁路128号，我电话  ");
    expect(withoutPersonalNumbers("华宁路门口，我电话１３８１６６０２３７５")).toBe("华宁路门口，我电话 ");
    expect(withoutPersonalNumbers("2026年3月2日 永德路12号")).toBe("2026年3月2日 永德路12号");
  });

  it("log lines never carry a full phone number or a configured secret", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", secrets: ["123456:SECRET-TOKEN-value"], sink: (line) => lines.push(line) });
    logger.info("sent", {
      to: "13812345678",
      landline: "021-54321234",
      url: "https://api.telegram.org/bot123456:SECRET-TOKEN-value/sendMessage",
    });
    expect(lines.join("\n")).not.toMatch(/13812345678|54321234|SECRET-TOKEN/);
    expect(lines.join("\n")).toContain("138****5678");
  });
});
