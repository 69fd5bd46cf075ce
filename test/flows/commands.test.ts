import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StaffGrant } from "../../src/domain/staff/registry.ts";
import { catalogFor } from "../../src/flows/i18n/catalog.ts";
import { en } from "../../src/flows/i18n/en.ts";
import { zh } from "../../src/flows/i18n/zh.ts";
import { declaredCommands, UNIVERSAL_COMMANDS, type CommandDeclaration } from "../../src/flows/kit/commands.ts";
import { LOCALES } from "../../src/flows/kit/messages.ts";
import { FLOWS } from "../../src/flows/registry.ts";
import { converse, shownText } from "../support/conversation.ts";
import { openSampleServices, type SampleServices } from "../support/town.ts";

let town: SampleServices;

beforeAll(async () => {
  town = await openSampleServices();
});
afterAll(async () => {
  await town.close();
});

// Read from the flows and the engine's declarations themselves, not from the list under test.
const flowCommands: CommandDeclaration[] = Object.values(FLOWS).flatMap((flow) => (flow.command ? [flow.command] : []));
const universal: CommandDeclaration[] = [...UNIVERSAL_COMMANDS.leading, ...UNIVERSAL_COMMANDS.trailing];
const forResidentsAndShops = [...universal, ...flowCommands].filter(
  (command) => command.audience === "everyone" || command.audience === "shops",
);
const staffOnly = flowCommands.filter((command) => command.audience !== "everyone" && command.audience !== "shops");

/** The line /help shows for a command. */
const helpLine = (name: CommandDeclaration["name"], locale: (typeof LOCALES)[number]) => `\n/${name} ${catalogFor(locale).commands[name]}`;

async function staffChat(userId: string, grant: StaffGrant) {
  const invite = await town.staff.invite("bootstrap", grant);
  if (invite.type !== "created") throw new Error(invite.type);
  const chat = converse(town.services, { channel: "telegram", userId });
  return { chat, joined: shownText(await chat.command("join", invite.code)) };
}

describe("one list of commands", () => {
  it("the commands the issue found missing are declared for residents and shops", () => {
    expect(forResidentsAndShops.map((command) => command.name)).toEqual(
      expect.arrayContaining(["report", "myreports", "talent", "compact", "shop", "shopreports"]),
    );
  });

  it("every command is declared once and every command description in the catalogs belongs to a declared command", () => {
    const names = declaredCommands(FLOWS).map((command) => command.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(Object.keys(zh.commands).sort());
    expect(Object.keys(en.commands).sort()).toEqual(Object.keys(zh.commands).sort());
  });

  it.each(LOCALES)("/help in %s lists every command for residents and shops with its description, and no staff command", async (locale) => {
    const shown = shownText(await converse(town.services, { locale, userId: `help-${locale}` }).command("help"));
    expect(shown.startsWith(catalogFor(locale).help.intro)).toBe(true);
    for (const command of forResidentsAndShops) expect(shown).toContain(helpLine(command.name, locale));
    for (const command of staffOnly) expect(shown).not.toContain(`\n/${command.name} `);
    expect(shown).not.toContain(catalogFor(locale).help.staffCommands);
  });

  it("/help shows district staff the commands of their role after everyone's, and no admin's or academy's", async () => {
    const { chat, joined } = await staffChat("help-district", {
      role: "DISTRICT_STAFF",
      label: "第二片区工作人员",
      districtCodes: ["d2"],
      roadCommitteeCodes: [],
    });
    const ownCommands = ["join", "web", "open", "case", "merchants"] as const;
    for (const name of ownCommands) expect(joined).toContain(helpLine(name, "zh"));

    const shown = shownText(await chat.command("help"));
    for (const command of forResidentsAndShops) expect(shown).toContain(helpLine(command.name, "zh"));
    const staffSection = shown.slice(shown.indexOf(zh.help.staffCommands));
    expect(staffSection.split("\n").slice(1)).toEqual(ownCommands.map((name) => helpLine(name, "zh").slice(1)));
  });

  it("/help in English shows an admin every staff command", async () => {
    const { chat } = await staffChat("help-admin", { role: "ADMIN", label: "Town admin", districtCodes: [], roadCommitteeCodes: [] });
    await chat.command("lang", "en");
    const shown = shownText(await chat.command("help"));
    expect(shown).toContain(`\n\n${en.help.staffCommands}`);
    for (const command of staffOnly) expect(shown).toContain(helpLine(command.name, "en"));
  });

  it.each(declaredCommands(FLOWS).map((command) => command.name))("/%s is answered, not called an unknown command", async (name) => {
    const shown = shownText(await converse(town.services, { userId: `try-${name}` }).command(name));
    expect(shown).not.toBe("");
    expect(shown).not.toContain(zh.unknownCommand(name));
  });
});
