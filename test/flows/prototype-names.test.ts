import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zh } from "../../src/flows/i18n/zh.ts";
import { declaredCommands, helpText } from "../../src/flows/kit/commands.ts";
import type { FlowServices } from "../../src/flows/kit/flow.ts";
import { FLOWS } from "../../src/flows/registry.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { PROTOTYPE_NAMES } from "../support/prototype-names.ts";
import { openSampleServices, type SampleServices } from "../support/town.ts";

let town: SampleServices;
let services: FlowServices;

beforeAll(async () => {
  town = await openSampleServices();
  services = town.services;
});
afterAll(async () => {
  await town.close();
});

describe("names of Object.prototype typed or sent as button values", () => {
  it.each(PROTOTYPE_NAMES)("/lang %s shows the language picker and keeps the language", async (name) => {
    const chat = converse(services);
    const shown = shownText(await chat.command("lang", name));
    expect(shown).toContain(zh.lang.prompt);
    expect(shown).not.toContain(zh.errors.generic);
    // The language stayed Chinese: the next answer is still in Chinese.
    expect(shownText(await chat.command("help"))).toBe(helpText(declaredCommands(FLOWS), "zh"));
  });

  it.each(PROTOTYPE_NAMES)("/%s is an unknown command", async (name) => {
    expect(shownText(await converse(services).command(name))).toBe(zh.unknownCommand(name));
  });

  it.each(PROTOTYPE_NAMES)(
    "the buttons flow:<name> and lang:<name> with %s as the name are a stale button and the language picker, never an error",
    async (name) => {
      const chat = converse(services);
      expect(shownText(await chat.choose(`flow:${name}`))).toBe(zh.errors.staleChoice);
      expect(shownText(await chat.choose(`flow:${name}:x`))).toBe(zh.errors.staleChoice);
      expect(shownText(await chat.choose(`lang:${name}`))).toContain(zh.lang.prompt);
    },
  );

  it.each(PROTOTYPE_NAMES)(
    "%s sent as text, as a /start payload and in place of every menu flow's own button values gets a polite answer",
    async (name) => {
      const answers: string[] = [];
      answers.push(shownText(await converse(services).text(name)));
      answers.push(shownText(await converse(services).command("start", name)));
      const menu = lastChoices(await converse(services).command("start"));
      expect(menu.length).toBeGreaterThan(3);
      for (const entry of menu) {
        const chat = converse(services);
        const buttons = lastChoices(await chat.choose(entry.value));
        // Each of the flow's buttons with its last part replaced: a forged value in the flow's own format.
        for (const button of buttons) {
          const forged = button.value.includes(":") ? `${button.value.slice(0, button.value.lastIndexOf(":") + 1)}${name}` : name;
          answers.push(shownText(await chat.choose(forged)));
        }
      }
      expect(answers.filter((answer) => answer.trim() === "" || answer.includes(zh.errors.generic))).toEqual([]);
    },
  );
});
