import { describe, expect, it } from "vitest";
import { maskPersonalNumbers } from "../../src/domain/privacy.ts";
import { createLogger } from "../../src/log.ts";

describe("masking personal numbers in free text", () => {
  it("masks a mainland mobile number written plainly, with +86, or with spaces and dashes", () => {
    expect(maskPersonalNumbers("电话13812345678")).toBe("电话138****5678");
    expect(maskPersonalNumbers("call +86 138 1234 5678 please")).toBe("call 138****5678 please");
    expect(maskPersonalNumbers("联系 86-139-8765-4321")).toBe("联系 139****4321");
    expect(maskPersonalNumbers("+86 138-1234-5678")).toBe("138****5678");
  });

  it("masks an 18-character ID number, including one ending in X, keeping the first three and last two", () => {
    expect(maskPersonalNumbers("身份证310104199001011234")).toBe("身份证310*************34");
    expect(maskPersonalNumbers("ID 31010419900101123X.")).toBe("ID 310*************3X.");
  });

  it("masks a landline with its area code", () => {
    expect(maskPersonalNumbers("店里电话021-6453 1234")).toBe("店里电话021-****34");
    expect(maskPersonalNumbers("0755 12345678")).toBe("0755-****78");
    expect(maskPersonalNumbers("电话 021-64531234")).toBe("电话 021-****34");
  });

  it("leaves house numbers, dates, times and references alone", () => {
    const text = "永德路12号门口，2026年3月2日 22:30，见 WJ-2026-000123";
    expect(maskPersonalNumbers(text)).toBe(text);
  });

  it("masks every number in a text that has several", () => {
    expect(maskPersonalNumbers("找老王13812345678或者老李13987654321")).toBe("找老王138****5678或者老李139****4321");
  });

  it("log lines never carry a full phone number or a configured secret", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", secrets: ["123456:SECRET-TOKEN-value"], sink: (line) => lines.push(line) });
    logger.info("sent", { to: "13812345678", url: "https://api.telegram.org/bot123456:SECRET-TOKEN-value/sendMessage" });
    expect(lines.join("\n")).not.toMatch(/13812345678|SECRET-TOKEN/);
    expect(lines.join("\n")).toContain("138****5678");
  });
});
