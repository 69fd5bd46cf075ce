import type { Bilingual } from "../../domain/grid/index.ts";
import { formatReference } from "../../domain/reports/reference.ts";
import type { ReportCategoryInfo } from "../../domain/reports/service.ts";
import { localYearOf } from "../../domain/time/zone.ts";
import { en } from "../i18n/en.ts";
import { zh } from "../i18n/zh.ts";
import type { FlowContext } from "./flow.ts";

/*
 * Every name and example a prompt shows comes from the town's own data, so the
 * same flows serve any town whose file is imported, with no town's words in code.
 */

/** The town's name in the reader's language ("XX镇" / "XX Town"). */
export function townName(context: FlowContext): string {
  return context.services.grid.index.snapshot.town.name[context.locale];
}

/**
 * An address of the town as each language writes it, for "e.g." in prompts;
 * the Chinese form is what residents type, so English prompts show both.
 * Undefined for a town without roads.
 */
export function exampleAddress(context: FlowContext): Bilingual | undefined {
  const address = context.services.grid.index.examples().address;
  return (
    address && {
      zh: zh.lookup.answer.roadPlace(address.road.zh, address.houseNumber),
      en: en.lookup.answer.roadPlace(address.road.en, address.houseNumber),
    }
  );
}

/** The town's first neighbourhood as residents name it in the reader's language; undefined for a town without one. */
export function exampleNeighbourhood(context: FlowContext): string | undefined {
  return context.services.grid.index.examples().neighbourhood?.[context.locale];
}

const HAN = /\p{Script=Han}/u;

/**
 * A message a resident of this town might send about a problem, from the first
 * category whose file entry has examples: one written in the reader's language
 * when there is one, else the first. Undefined when no category has examples.
 */
export function exampleProblem(categories: ReportCategoryInfo[], context: FlowContext): string | undefined {
  const examples = categories.find((category) => category.examples.length > 0)?.examples ?? [];
  return examples.find((example) => HAN.test(example) === (context.locale === "zh")) ?? examples[0];
}

/** A reference numbered as this town numbers its reports this year, for "e.g." in prompts. */
export function exampleReference(context: FlowContext): string {
  return formatReference(
    context.services.grid.index.snapshot.town.referencePrefix,
    localYearOf(context.now, context.services.timeZone),
    123,
  );
}
