import { performance } from "node:perf_hooks";
import { withSampleTown } from "../src/cli/eval-understanding.ts";
import { percentiles } from "./stats.ts";

/**
 * Reading speed of the understanding: every labelled message of the sample
 * town read `rounds` times, each timed alone. A first message is read on the
 * webhook's path, so it must stay well under a millisecond.
 */
export async function benchUnderstanding(rounds: number) {
  return withSampleTown(async ({ learnFrom, development, test }) => {
    const understanding = learnFrom(development);
    const texts = [...development, ...test].map((message) => message.text);
    for (const text of texts) understanding.read(text);
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const text of texts) {
        const start = performance.now();
        understanding.read(text);
        samples.push(performance.now() - start);
      }
    }
    const { count, meanMs, p50Ms, p99Ms } = percentiles(samples);
    return { messages: count, meanMs, p50Ms, p99Ms };
  });
}
