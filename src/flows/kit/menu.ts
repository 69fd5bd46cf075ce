import type { Catalog } from "../i18n/catalog.ts";
import type { FlowId } from "./flow.ts";
import type { Locale, OutboundMessage } from "./messages.ts";

/** Choice values the engine answers itself, whatever flow is active. */
export const ENGINE_CHOICES = {
  mainMenu: "menu:start",
  help: "menu:help",
  /** `flow:<id>` starts that flow. */
  flowPrefix: "flow:",
  /** `lang:<locale>` sets the language. */
  languagePrefix: "lang:",
} as const;

/** The choice value that starts a flow from a button. */
export function startFlowChoice(flow: FlowId): string {
  return `${ENGINE_CHOICES.flowPrefix}${flow}`;
}

/** The choice value that switches to a language. */
export function languageChoice(locale: Locale): string {
  return `${ENGINE_CHOICES.languagePrefix}${locale}`;
}

/** The main menu in the user's language; its language button switches to the other one at once. */
export function mainMenu(t: Catalog, locale: Locale): OutboundMessage {
  return {
    type: "choices",
    text: t.menu.text,
    options: [
      { label: t.menu.report, value: startFlowChoice("report") },
      { label: t.menu.lookup, value: startFlowChoice("lookup") },
      { label: t.menu.myReports, value: startFlowChoice("myReports") },
      { label: t.menu.classes, value: startFlowChoice("classes") },
      { label: t.menu.help, value: ENGINE_CHOICES.help },
      { label: t.menu.switchLanguage, value: languageChoice(locale === "zh" ? "en" : "zh") },
    ],
  };
}

/** The language picker; each option is labelled in its own language. */
export function languagePicker(t: Catalog): OutboundMessage {
  return {
    type: "choices",
    text: t.lang.prompt,
    options: [
      { label: "中文", value: languageChoice("zh") },
      { label: "English", value: languageChoice("en") },
    ],
  };
}
