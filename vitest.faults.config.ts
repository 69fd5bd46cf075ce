import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** The log scan reads what every other fault test collected, so it runs last. */
class LogScanLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isScan = (file: TestSpecification) => file.moduleId.endsWith("log-scan.fault.ts");
    return [...sorted.filter((file) => !isScan(file)), ...sorted.filter(isScan)];
  }
}

/**
 * The fault-and-bad-input suite (`npm run test:faults`): the real app against
 * real PostgreSQL, Redis and fake Telegram / WeCom servers while services are
 * killed and inputs turn hostile. Its files end in `.fault.ts`, so the default
 * `npm test` never picks them up. Files run one at a time: they stop and kill
 * servers and a parallel file would see faults that are not its own.
 */
export default defineConfig({
  test: {
    include: ["test/faults/**/*.fault.ts"],
    globalSetup: ["test/support/global-setup.ts", "test/faults/support/global-setup.ts"],
    setupFiles: ["test/support/log-check.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: false,
    sequence: { sequencer: LogScanLast },
  },
});
