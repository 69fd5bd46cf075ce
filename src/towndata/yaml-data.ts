import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, type Document } from "yaml";

/** One problem in a data file, located in its source text (1-based line and column). */
export interface DataFileIssue {
  line: number;
  column: number;
  /** The field in the document, e.g. `districts[2].members[0].role`; `(yaml)` for a syntax error. */
  field: string;
  message: string;
}

/** What a validator says of a parsed document: the data, or every problem with the path of the field it concerns. */
export type Validation<T> = { success: true; data: T } | { success: false; issues: { path: (string | number)[]; message: string }[] };

/**
 * Parses YAML bytes and validates the document, locating every problem in the
 * source (syntax errors, then the validator's issues, in file order), so a bad
 * file is rejected whole with file, line and field for each problem.
 */
export function readYamlData<T>(
  bytes: Buffer,
  validate: (input: unknown) => Validation<T>,
): { success: true; data: T } | { success: false; issues: DataFileIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(bytes.toString("utf8"), { lineCounter, prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    return {
      success: false,
      issues: doc.errors.map((error) => ({
        ...at(error.pos[0]),
        field: "(yaml)",
        message: `YAML 语法错误 / YAML syntax error: ${error.message}`,
      })),
    };
  }
  let input: unknown;
  try {
    input = doc.toJS();
  } catch (error) {
    // toJS refuses documents that expand aliases excessively (a "billion laughs" file).
    return {
      success: false,
      issues: [{ line: 1, column: 1, field: "(yaml)", message: `无法读取 YAML / unreadable YAML: ${(error as Error).message}` }],
    };
  }
  const result = validate(input);
  if (result.success) return result;
  return {
    success: false,
    issues: result.issues
      .map((issue) => ({ ...at(offsetOf(doc, issue.path)), field: fieldName(issue.path), message: issue.message }))
      .sort((a, b) => a.line - b.line || a.column - b.column),
  };
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
