/**
 * Setup file of both vitest configurations: an error line a test logger wrote
 * fails the test that caused it unless the test declared it, so an update that
 * failed with only a log line cannot pass unnoticed. Registered first, so its
 * hooks run after the test file's own (which may still close things that log).
 */
import { afterAll, afterEach } from "vitest";
import { checkErrorLogs } from "./logs.ts";

afterEach(() => checkErrorLogs("during this test or the hooks before it"));
afterAll(() => checkErrorLogs("in this file's hooks"));
