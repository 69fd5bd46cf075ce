import { describe, expect, it } from "vitest";
import { maskPersonalNumbers } from "../../src/domain/privacy.ts";
import { createLogger } from "../../src/log.ts";

describe("masking personal numbers", () => {
  it("mobile numbers keep only their first three and last four digits, with or without +86 and separators", () => {
    expect(maskPersonalNumbers("联系我 13812345678")).toBe("联系我 138****5678");
    expect(maskPersonalNumbers("+86 138-1234-5678")).toBe("138****5678");
    expect(maskPersonalNumbers("call 139 1234 5678 now")).toBe("call 139****5678 now");
  });

  it("ID-card numbers keep their first three and last two characters", () => {
    expect(maskPersonalNumbers("身份证310101199001011234")).toBe("身份证310*************34");
    expect(maskPersonalNumbers("id 31010119900101123X.")).toBe("id 310*************3X.");
  });

  it("landlines with an area code are masked; house numbers and years are left alone", () => {
    expect(maskPersonalNumbers("电话 021-64531234")).toBe("电话 021-****34");
    expect(maskPersonalNumbers("永德路12号，2026年")).toBe("永德路12号，2026年");
  });

  it("log lines never carry a full phone number or a configured secret", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", secrets: ["123456:SECRET-TOKEN-value"], sink: (line) => lines.push(line) });
    logger.info("sent", { to: "13812345678", url: "https://api.telegram.org/bot123456:SECRET-TOKEN-value/sendMessage" });
    expect(lines.join("\n")).not.toMatch(/13812345678|SECRET-TOKEN/);
    expect(lines.join("\n")).toContain("138****5678");
  });
});
