import jsqr from "jsqr";
import { PNG } from "pngjs";
import { cellBox } from "../../../src/domain/compact/qr-sheet.ts";

// jsqr is CommonJS whose export is the function itself and also carries it as `default`; TypeScript only sees the latter.
const jsQR = jsqr.default;

/** Decodes the QR code inside one cell of rendered sheets, as a phone camera would read the printout. */
export function decodeCell(sheets: readonly Buffer[], index: number): string | undefined {
  const box = cellBox(index);
  const png = PNG.sync.read(sheets[box.sheet]!);
  const crop = new Uint8ClampedArray(box.width * box.height * 4);
  for (let row = 0; row < box.height; row++) {
    const from = ((box.y + row) * png.width + box.x) * 4;
    crop.set(png.data.subarray(from, from + box.width * 4), row * box.width * 4);
  }
  return jsQR(crop, box.width, box.height)?.data;
}
