import { afterEach, describe, expect, it } from "vitest";
import { startApp, webResident } from "./support/app.ts";
import type { RunningLinli } from "../../src/app.ts";

/*
 * The app as an operator starts it with TIME_ZONE set to a zone that is not
 * the default: every time a resident reads must be that zone's, whatever the
 * town file's own offsets say.
 */
let app: RunningLinli | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

describe("a town run on another time zone", () => {
  it("shows a class's sessions on New York time, summer time included, when TIME_ZONE says so, and on Shanghai time by default", async () => {
    // The sample's first session starts 2027-03-06T14:00:00+08:00: 01:00 that morning in New York (EST).
    app = await startApp("time-zone-new-york", { TIME_ZONE: "America/New_York" });
    const ny = webResident(app.httpUrl);
    const nyText = await classDetail(ny);
    expect(nyText).toContain("2027/3/6 01:00");
    // New York moves to summer time on 14 March, so the session a week later is at 02:00 there.
    expect(nyText).toContain("2027/3/20 02:00");
    expect(nyText).not.toContain("2027/3/6 14:00");
    await app.stop();

    app = await startApp("time-zone-default", {});
    expect(await classDetail(webResident(app.httpUrl))).toContain("2027/3/6 14:00");
  });
});

/** What a resident reads after opening the talent class from /classes: its open cohort with every session. */
async function classDetail(resident: ReturnType<typeof webResident>): Promise<string> {
  await resident.say("/classes");
  return (await resident.press("精品班")).text;
}
