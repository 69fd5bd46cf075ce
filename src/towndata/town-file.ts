import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { townDataJsonSchema, validateTownData, type TownData } from "../domain/town/town-data.ts";
import { PROJECT_ROOT } from "../paths.ts";
import { readYamlData, type DataFileIssue } from "./yaml-data.ts";

/**
 * Raised when a town-data file cannot be used. It carries every problem found,
 * not just the first, so whoever maintains the file fixes it in one pass; the
 * message lists them as `file:line:column field: message`, the form editors and
 * terminals turn into links.
 */
export class TownDataError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly DataFileIssue[],
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
  const result = readYamlData(bytes, validateTownData);
  if (!result.success) throw new TownDataError(file, result.issues);
  return { data: result.data, hash };
}
