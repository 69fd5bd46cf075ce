import path from "node:path";
import { pathToFileURL } from "node:url";
import { loadConfig } from "../config.ts";
import { openDatabase } from "../db/database.ts";
import { loadGridSnapshot } from "../domain/grid/directory.ts";
import { GridIndex } from "../domain/grid/index.ts";
import { importTownData } from "../domain/town/import.ts";
import { evaluate, type Evaluation } from "../domain/understanding/evaluation.ts";
import { INTENTS } from "../domain/understanding/reading.ts";
import { Understanding, type LabelledMessage } from "../domain/understanding/understanding.ts";
import { loadTownVocabulary } from "../domain/understanding/vocabulary.ts";
import {
  DEVELOPMENT_MESSAGES_FILE,
  readLabelledMessages,
  TEST_MESSAGES_FILE,
  type EvaluationMessage,
} from "../towndata/labelled-messages.ts";
import { readTownFile } from "../towndata/town-file.ts";
import { PROJECT_ROOT } from "../paths.ts";

const SAMPLE_TOWN_FILE = path.join(PROJECT_ROOT, "data/wujing.sample.yaml");

/**
 * `npm run eval:understanding`: reads the labelled development and test
 * messages as the running bot would (the sample town imported into an
 * in-memory database, the understanding trained on the development messages)
 * and prints intent, category and place accuracy, a confusion table and the
 * misses. The test part is scored only, never learnt from.
 */
async function main(): Promise<void> {
  const { development, test } = await evaluateSampleTown();
  for (const [name, evaluation] of [
    ["development, cross-validated in 5 folds (tune on this)", development],
    ["test, held out (never tune on this)", test],
  ] as const) {
    process.stdout.write(`${report(name, evaluation)}\n`);
  }
}

/** Folds of the development messages scored while learning from the others: the figure to tune on. */
const FOLDS = 5;

/**
 * The development messages cross-validated (each fold read by an
 * understanding that learnt from the other folds) and the test messages read
 * by one that learnt from all development messages.
 */
export async function evaluateSampleTown(): Promise<{ development: Evaluation; test: Evaluation }> {
  return withSampleTown(async ({ learnFrom, development, test }) => {
    const folds = Array.from({ length: FOLDS }, (_, fold) => {
      const understanding = learnFrom(development.filter((_, i) => i % FOLDS !== fold));
      return evaluate(
        development.filter((_, i) => i % FOLDS === fold),
        (text) => understanding.read(text),
      );
    });
    const everything = learnFrom(development);
    return { development: combine(folds), test: evaluate(test, (text) => everything.read(text)) };
  });
}

/**
 * Runs `use` with the sample town imported into an in-memory database: a
 * way to build its understanding from any labelled messages, and both
 * labelled sets.
 */
export async function withSampleTown<T>(
  use: (town: {
    learnFrom: (messages: readonly LabelledMessage[]) => Understanding;
    development: EvaluationMessage[];
    test: EvaluationMessage[];
  }) => Promise<T>,
): Promise<T> {
  const db = await openDatabase({ kind: "pglite", dataDir: "memory://" }, { purpose: "npm run eval:understanding" });
  try {
    const town = await readTownFile(SAMPLE_TOWN_FILE);
    // Dates play no part in reading text; the default zone keeps the import as `npm start` does it.
    await importTownData(db.prisma, town.data, town.hash, loadConfig({}).workingTime.timeZone);
    const [snapshot, vocabulary] = await Promise.all([
      loadGridSnapshot(db.prisma, town.data.town.code),
      loadTownVocabulary(db.prisma, town.data.town.code),
    ]);
    const index = new GridIndex(snapshot);
    return await use({
      learnFrom: (messages) => new Understanding(index, vocabulary, messages),
      development: await readLabelledMessages(DEVELOPMENT_MESSAGES_FILE),
      test: await readLabelledMessages(TEST_MESSAGES_FILE),
    });
  } finally {
    await db.close();
  }
}

/** One evaluation of the folds' messages taken together. */
function combine(folds: Evaluation[]): Evaluation {
  const sum = (pick: (evaluation: Evaluation) => { correct: number; total: number }) => {
    const correct = folds.reduce((total, fold) => total + pick(fold).correct, 0);
    const total = folds.reduce((all, fold) => all + pick(fold).total, 0);
    return { correct, total, accuracy: total === 0 ? 1 : correct / total };
  };
  const confusion = folds[0]!.confusion;
  for (const fold of folds.slice(1)) for (const a of INTENTS) for (const b of INTENTS) confusion[a][b] += fold.confusion[a][b];
  return {
    messages: folds.reduce((total, fold) => total + fold.messages, 0),
    intent: sum((fold) => fold.intent),
    category: sum((fold) => fold.category),
    place: sum((fold) => fold.place),
    asked: {
      total: folds.reduce((total, fold) => total + fold.asked.total, 0),
      wouldHaveBeenWrong: folds.reduce((total, fold) => total + fold.asked.wouldHaveBeenWrong, 0),
    },
    actedWrongly: folds.reduce((total, fold) => total + fold.actedWrongly, 0),
    confusion,
    misses: folds.flatMap((fold) => fold.misses),
  };
}

function report(name: string, evaluation: Evaluation): string {
  const percent = (figure: { correct: number; total: number; accuracy: number }) =>
    `${(figure.accuracy * 100).toFixed(1)}% (${figure.correct}/${figure.total})`;
  const width = Math.max(...INTENTS.map((intent) => intent.length));
  const confusion = [
    `${"expected \\ read".padEnd(width)} ${INTENTS.map((intent) => intent.slice(0, 6).padStart(6)).join(" ")}`,
    ...INTENTS.map(
      (expected) =>
        `${expected.padEnd(width)} ${INTENTS.map((read) => String(evaluation.confusion[expected][read] || ".").padStart(6)).join(" ")}`,
    ),
  ];
  return [
    `== ${name}: ${evaluation.messages} messages`,
    `intent   ${percent(evaluation.intent)}`,
    `category ${percent(evaluation.category)}`,
    `place    ${percent(evaluation.place)}`,
    `would ask instead of acting: ${evaluation.asked.total} (${evaluation.asked.wouldHaveBeenWrong} of them read wrong)`,
    `acted on a wrong intent: ${evaluation.actedWrongly} (${((evaluation.actedWrongly / evaluation.messages) * 100).toFixed(1)}%)`,
    "",
    ...confusion,
    "",
    `misses (${evaluation.misses.length}):`,
    ...evaluation.misses.map((miss) => `  [${miss.what}] expected ${miss.expected}, read ${miss.read}: ${miss.text}`),
    "",
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
