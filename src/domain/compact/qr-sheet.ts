import { PNG } from "pngjs";
import QRCode from "qrcode";

/*
 * Printable invitation sheets: staff print one per road and hand each shop
 * its cell. A4 portrait at 150 dpi, a grid of cells, each with one QR code
 * (the shop's invitation link) and its cell number underneath in a small
 * built-in bitmap font, so no font files are needed. The number → shop list
 * travels as text beside the image, where Chinese names render properly.
 */

/** A4 portrait at 150 dpi. */
export const SHEET_WIDTH = 1240;
export const SHEET_HEIGHT = 1754;
/** Cells per sheet: 3 across, 4 down, large enough to scan from a phone at arm's length. */
export const SHEET_COLUMNS = 3;
export const SHEET_ROWS = 4;
const MARGIN = 40;
/** Modules of blank border QR readers need around a code. */
const QUIET_ZONE = 4;
const LABEL_SCALE = 6;
const LABEL_GAP = 12;

/** One cell's content: the link to encode and the number printed under it. */
export interface SheetCell {
  link: string;
  number: number;
}

/** Where a cell lies on its sheet, in pixels; tests crop here to decode each code. */
export interface CellBox {
  sheet: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

// 3×5 digits, one string per row, "#" inked.
const DIGITS: Record<string, readonly string[]> = {
  "0": ["###", "#.#", "#.#", "#.#", "###"],
  "1": [".#.", "##.", ".#.", ".#.", "###"],
  "2": ["###", "..#", "###", "#..", "###"],
  "3": ["###", "..#", "###", "..#", "###"],
  "4": ["#.#", "#.#", "###", "..#", "..#"],
  "5": ["###", "#..", "###", "..#", "###"],
  "6": ["###", "#..", "###", "#.#", "###"],
  "7": ["###", "..#", ".#.", ".#.", ".#."],
  "8": ["###", "#.#", "###", "#.#", "###"],
  "9": ["###", "#.#", "###", "..#", "###"],
};

const cellWidth = Math.floor((SHEET_WIDTH - 2 * MARGIN) / SHEET_COLUMNS);
const cellHeight = Math.floor((SHEET_HEIGHT - 2 * MARGIN) / SHEET_ROWS);

/** The pixel box of the i-th cell (0-based, across then down, sheet after sheet). */
export function cellBox(index: number): CellBox {
  const perSheet = SHEET_COLUMNS * SHEET_ROWS;
  const onSheet = index % perSheet;
  return {
    sheet: Math.floor(index / perSheet),
    x: MARGIN + (onSheet % SHEET_COLUMNS) * cellWidth,
    y: MARGIN + Math.floor(onSheet / SHEET_COLUMNS) * cellHeight,
    width: cellWidth,
    height: cellHeight,
  };
}

/**
 * Draws the cells onto as many A4 sheets as they need and returns each as a
 * PNG. Every QR code uses error correction level M and is scaled to whole
 * pixels per module, so it prints sharp and decodes back to exactly its link.
 */
export function renderQrSheets(cells: readonly SheetCell[]): Buffer[] {
  const perSheet = SHEET_COLUMNS * SHEET_ROWS;
  const sheets: PNG[] = [];
  cells.forEach((cell, index) => {
    const box = cellBox(index);
    if (index % perSheet === 0) sheets.push(blankSheet());
    drawCell(sheets[box.sheet]!, box, cell);
  });
  return sheets.map((png) => PNG.sync.write(png));
}

function blankSheet(): PNG {
  const png = new PNG({ width: SHEET_WIDTH, height: SHEET_HEIGHT });
  png.data.fill(255);
  return png;
}

function fill(png: PNG, x: number, y: number, width: number, height: number, grey: number): void {
  for (let row = y; row < y + height; row++) {
    for (let col = x; col < x + width; col++) {
      const at = (row * png.width + col) * 4;
      png.data[at] = grey;
      png.data[at + 1] = grey;
      png.data[at + 2] = grey;
      png.data[at + 3] = 255;
    }
  }
}

function drawCell(png: PNG, box: CellBox, cell: SheetCell): void {
  // A light cutting frame, well outside the quiet zone.
  const grey = 200;
  fill(png, box.x, box.y, box.width, 1, grey);
  fill(png, box.x, box.y + box.height - 1, box.width, 1, grey);
  fill(png, box.x, box.y, 1, box.height, grey);
  fill(png, box.x + box.width - 1, box.y, 1, box.height, grey);

  const qr = QRCode.create(cell.link, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  const labelHeight = 5 * LABEL_SCALE;
  const room = Math.min(box.width, box.height - labelHeight - LABEL_GAP * 2);
  const scale = Math.floor(room / (size + 2 * QUIET_ZONE));
  const qrPixels = size * scale;
  const left = box.x + Math.floor((box.width - qrPixels) / 2);
  const top = box.y + QUIET_ZONE * scale;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (qr.modules.get(row, col)) fill(png, left + col * scale, top + row * scale, scale, scale, 0);
    }
  }
  drawNumber(png, String(cell.number), box.x + Math.floor(box.width / 2), top + qrPixels + QUIET_ZONE * scale - LABEL_GAP);
}

function drawNumber(png: PNG, digits: string, centreX: number, top: number): void {
  const advance = 4 * LABEL_SCALE;
  let x = centreX - Math.floor((digits.length * advance - LABEL_SCALE) / 2);
  for (const digit of digits) {
    const glyph = DIGITS[digit];
    if (glyph) {
      glyph.forEach((line, row) => {
        [...line].forEach((pixel, col) => {
          if (pixel === "#") fill(png, x + col * LABEL_SCALE, top + row * LABEL_SCALE, LABEL_SCALE, LABEL_SCALE, 0);
        });
      });
    }
    x += advance;
  }
}
