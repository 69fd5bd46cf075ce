import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { renderQrSheets, SHEET_HEIGHT, SHEET_WIDTH } from "../../../src/domain/compact/qr-sheet.ts";
import { decodeCell } from "./qr-decode.ts";

describe("the printable invitation sheet", () => {
  it("is A4 portrait at 150 dpi, and every cell decodes back to its own shop's link", () => {
    const links = Array.from(
      { length: 14 },
      (_, i) => `https://t.me/linli_test_bot?start=merchant-${"ABCDEFGHJK".slice(0, 9)}${"23456789ABCDEFGH"[i]}`,
    );
    const sheets = renderQrSheets(links.map((link, i) => ({ link, number: i + 1 })));
    expect(sheets).toHaveLength(2);
    for (const sheet of sheets) {
      const png = PNG.sync.read(sheet);
      expect([png.width, png.height]).toEqual([SHEET_WIDTH, SHEET_HEIGHT]);
    }
    links.forEach((link, i) => expect(decodeCell(sheets, i)).toBe(link));
  });

  it("a long web link still fits its cell and decodes", () => {
    const link = "https://linli.example.gov.cn/chat/?start=merchant-ABCDEFGHJK";
    expect(decodeCell(renderQrSheets([{ link, number: 12 }]), 0)).toBe(link);
  });
});
