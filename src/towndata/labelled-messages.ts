import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { LabelledMessage } from "../domain/understanding/understanding.ts";
import { INTENTS } from "../domain/understanding/reading.ts";
import { PROJECT_ROOT } from "../paths.ts";
import { readYamlData, type DataFileIssue } from "./yaml-data.ts";

/** The labelled messages the classifiers learn from and are tuned on. */
export const DEVELOPMENT_MESSAGES_FILE = path.join(PROJECT_ROOT, "data/understanding/dev.yaml");
/** The held-out labelled messages: only ever scored, never learnt from or tuned on. */
export const TEST_MESSAGES_FILE = path.join(PROJECT_ROOT, "data/understanding/test.yaml");

const code = z.string().trim().min(1);
const placeLabel = z.union([
  z.strictObject({ road: code, houseNumber: z.number().int().positive().optional() }),
  z.strictObject({ neighbourhood: code }),
  z.strictObject({ neighbourhoods: z.array(code).min(2) }),
]);
const messageSchema = z
  .strictObject({
    text: z.string().trim().min(1),
    intent: z.enum(INTENTS),
    category: code.optional(),
    place: placeLabel.optional(),
  })
  .superRefine((message, context) => {
    if (message.category !== undefined && message.intent !== "report")
      context.addIssue({ code: "custom", path: ["category"], message: "只有举报有类别 / only reports have a category" });
    if (message.intent === "report" && message.category === undefined)
      context.addIssue({ code: "custom", path: ["intent"], message: "举报须有类别 / a report needs a category" });
    if (message.place !== undefined && message.intent !== "report" && message.intent !== "lookup") {
      context.addIssue({ code: "custom", path: ["place"], message: "只有举报和查询有地点 / only reports and lookups have a place" });
    }
  });

/** Where a labelled message is: a road (and house number), one neighbourhood, or a name several neighbourhoods share. */
export type PlaceLabel = z.infer<typeof placeLabel>;

/** A labelled message with the place it names, for scoring. */
export type EvaluationMessage = LabelledMessage & { place?: PlaceLabel };

/** Raised for a labelled-messages file that cannot be used; lists every problem as `file:line:column field: message`. */
export class LabelledMessagesError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly DataFileIssue[],
  ) {
    super(
      [
        `标注语料 ${file} 有 ${issues.length} 处错误 / labelled messages file ${file} has ${issues.length} problem(s)`,
        ...issues.map((issue) => `  ${file}:${issue.line}:${issue.column} ${issue.field}: ${issue.message}`),
      ].join("\n"),
    );
    this.name = "LabelledMessagesError";
  }
}

/**
 * Reads a file of labelled messages (a YAML list; see data/understanding/README.md).
 * A category is allowed on reports only, a place on reports and lookups only.
 */
export async function readLabelledMessages(file: string): Promise<EvaluationMessage[]> {
  const result = readYamlData(await readFile(file), (input) => {
    const parsed = z.array(messageSchema).safeParse(input);
    if (parsed.success) return { success: true, data: parsed.data };
    return {
      success: false,
      issues: parsed.error.issues.map((issue) => ({
        path: issue.path.map((key) => (typeof key === "number" ? key : String(key))),
        message: issue.message,
      })),
    };
  });
  if (!result.success) throw new LabelledMessagesError(file, result.issues);
  return result.data;
}
