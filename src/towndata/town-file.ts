import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { townDataJsonSchema, validateTownData, type TownData } from "../domain/grid/town-data.ts";
import { PROJECT_ROOT } from "../paths.ts";

/** One problem in a town-data file, located in its source text (1-based line and column). */
export interface TownFileIssue {
  line: number;
  column: number;
  /** The field in the document, e.g. `districts[2].members[0].role`; `(yaml)` for a syntax error. */
  field: string;
  message: string;
}

/**
 * Raised when a town-data file cannot be used. It carries every problem found,
 * not just the first, so whoever maintains the file fixes it in one pass; the
 * message lists them as `file:line:column field: message`, the form editors and
 * terminals turn into links.
 */
export class TownDataError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly TownFileIssue[],
  ) {
    super(
      [
        `镇数据文件 ${file} 有 ${issues.length} 处错误，未导入任何内容 / town data file ${file} has ${issues.length} problem(s); nothing was imported`,
        ...issues.map((issue) => `  ${file}:${issue.line}:${issue.column} ${issue.field}: ${issue.message}`),
      ].join("\n"),
    );
    this.name = "TownDataError";
  }
}

/** A validated town-data file and the SHA-256 (hex) of its bytes, which makes re-imports of the same file no-ops. */
export interface TownFile {
  data: TownData;
  hash: string;
}

/** Where `npm run schema:json` writes the editor schema; the sample file points at it. */
export const TOWN_SCHEMA_FILE = path.join(PROJECT_ROOT, "data/town.schema.json");

/** The committed text of the town-data JSON Schema, generated from the zod schema so the two never drift. */
export function renderTownSchemaJson(): string {
  return `${JSON.stringify(townDataJsonSchema(), null, 2)}\n`;
}

/** `["districts", 2, "members", 0, "role"]` → `districts[2].members[0].role`, the way the file's author thinks of it. */
function fieldName(fieldPath: readonly (string | number)[]): string {
  if (fieldPath.length === 0) return "(root)";
  return fieldPath.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`)).join("");
}

/**
 * The source offset of the deepest part of `fieldPath` that exists in the
 * document: a map entry's key (so a bad value points at its field name), a
 * sequence item, or the nearest parent when the field is missing altogether.
 */
function offsetOf(doc: Document, fieldPath: readonly (string | number)[]): number {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
  for (const key of fieldPath) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(key));
      if (!pair) break;
      if (isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof key === "number") {
      const item: unknown = node.items[key];
      if (!isNode(item) || !item.range) break;
      offset = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

/**
 * Reads, parses and validates one town-data YAML file. YAML syntax errors and
 * every schema or cross-reference problem are thrown together as one
 * {@link TownDataError}; nothing else about the file is trusted.
 *
 * @param file path of the YAML file; messages name it as given
 */
export async function readTownFile(file: string): Promise<TownFile> {
  return parseTownFile(file, await readFile(file));
}

/** {@link readTownFile} for bytes already read, e.g. sent by `npm run import` to a running Linli; `file` names them in messages. */
export function parseTownFile(file: string, bytes: Buffer): TownFile {
  const hash = createHash("sha256").update(bytes).digest("hex");
  const lineCounter = new LineCounter();
  const doc = parseDocument(bytes.toString("utf8"), { lineCounter, prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new TownDataError(
      file,
      doc.errors.map((error) => ({ ...at(error.pos[0]), field: "(yaml)", message: `YAML 语法错误 / YAML syntax error: ${error.message}` })),
    );
  }
  let input: unknown;
  try {
    input = doc.toJS();
  } catch (error) {
    // toJS refuses documents that expand aliases excessively (a "billion laughs" file).
    throw new TownDataError(file, [{ line: 1, column: 1, field: "(yaml)", message: `无法读取 YAML / unreadable YAML: ${(error as Error).message}` }]);
  }
  const result = validateTownData(input);
  if (!result.success) {
    const issues = result.issues
      .map((issue) => ({ ...at(offsetOf(doc, issue.path)), field: fieldName(issue.path), message: issue.message }))
      .sort((a, b) => a.line - b.line || a.column - b.column);
    throw new TownDataError(file, issues);
  }
  return { data: result.data, hash };
}
