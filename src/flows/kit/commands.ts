import type { StaffGrant } from "../../domain/staff/registry.ts";
import { catalogFor, type Catalog } from "../i18n/catalog.ts";
import type { FlowRegistry } from "./engine.ts";
import { LOCALES, type Locale } from "./messages.ts";

/**
 * A slash command's name, without the slash. Names are the keys of the
 * catalogs' `commands` section, so a command cannot be declared without a
 * description in every language.
 */
export type CommandName = keyof Catalog["commands"];

/** A registered staff member's role, which decides the staff commands they are shown. */
export type StaffRole = StaffGrant["role"];

/**
 * Who a command is for. Commands for everyone and for shops are public: every
 * menu and every /help lists them (anyone may own a shop). The others are
 * listed only in /help of staff whose role may use them; the flows still check
 * the role themselves, so a listing is a courtesy, never a permission.
 */
export type CommandAudience = "everyone" | "shops" | "staff" | "districtStaff" | "academyStaff" | "admins";

const PUBLIC_AUDIENCES = ["everyone", "shops"] as const satisfies readonly CommandAudience[];
/** The audiences every menu lists. */
export type PublicAudience = (typeof PUBLIC_AUDIENCES)[number];
/** The audiences only staff of certain roles are shown. */
export type StaffAudience = Exclude<CommandAudience, PublicAudience>;

// Admins may do whatever any staff member may, as the domain services allow them.
const ROLES_OF: Record<StaffAudience, readonly StaffRole[]> = {
  staff: ["DISTRICT_STAFF", "ACADEMY_STAFF", "ADMIN"],
  districtStaff: ["DISTRICT_STAFF", "ADMIN"],
  academyStaff: ["ACADEMY_STAFF", "ADMIN"],
  admins: ["ADMIN"],
};

/** A command as its owner declares it: a flow in its `command`, the engine in {@link UNIVERSAL_COMMANDS}. */
export interface CommandDeclaration {
  readonly name: CommandName;
  readonly audience: CommandAudience;
}

/**
 * The commands the engine answers itself rather than through a flow, split by
 * where lists show them: `leading` before the flows' commands, `trailing` after.
 */
export const UNIVERSAL_COMMANDS = {
  leading: [{ name: "start", audience: "everyone" }],
  trailing: [
    { name: "help", audience: "everyone" },
    { name: "lang", audience: "everyone" },
    { name: "cancel", audience: "everyone" },
  ],
} as const satisfies Record<"leading" | "trailing", readonly CommandDeclaration[]>;

/** A command as menus, /help and the docs show it: its declaration with its description in every locale. */
export interface CommandEntry extends CommandDeclaration {
  readonly description: Readonly<Record<Locale, string>>;
}

/**
 * Every command Linli answers, in the order every list shows them: /start,
 * the flows' public commands (everyone's, then shops'), the other universal
 * commands, then the staff commands. Flows keep their registry order within
 * an audience. This is the one list; the Telegram menu, the web chat's help,
 * /help and docs/web-chat.md are all made from it.
 */
export function declaredCommands(flows: FlowRegistry): CommandEntry[] {
  const declared = Object.values(flows).flatMap((flow) => (flow.command ? [flow.command] : []));
  const ofAudience = (audience: CommandAudience) => declared.filter((command) => command.audience === audience);
  return [
    ...UNIVERSAL_COMMANDS.leading,
    ...ofAudience("everyone"),
    ...ofAudience("shops"),
    ...UNIVERSAL_COMMANDS.trailing,
    ...(Object.keys(ROLES_OF) as StaffAudience[]).flatMap(ofAudience),
  ].map((command) => ({ ...command, description: describe(command.name) }));
}

function describe(name: CommandName): Record<Locale, string> {
  return Object.fromEntries(LOCALES.map((locale) => [locale, catalogFor(locale).commands[name]])) as Record<Locale, string>;
}

/** Whether every menu and every /help lists commands of `audience`. */
export function isPublic(audience: CommandAudience): audience is PublicAudience {
  return (PUBLIC_AUDIENCES as readonly CommandAudience[]).includes(audience);
}

/** The staff roles whose /help lists commands of `audience`. */
export function staffRolesOf(audience: StaffAudience): readonly StaffRole[] {
  return ROLES_OF[audience];
}

/**
 * The commands someone is shown, in list order: the public ones, and with a
 * staff `role` also the staff commands that role may use. Without a role this
 * is the public menu Telegram and the web chat publish.
 */
export function commandsFor(commands: readonly CommandEntry[], role?: StaffRole): CommandEntry[] {
  return commands.filter(({ audience }) => isPublic(audience) || (role !== undefined && ROLES_OF[audience].includes(role)));
}

/** The /help text: the catalog's introduction, the public commands and, for staff, a section of theirs. */
export function helpText(commands: readonly CommandEntry[], locale: Locale, role?: StaffRole): string {
  const t = catalogFor(locale);
  const everyone = [t.help.commands, ...commandsFor(commands).map((command) => line(command, locale))].join("\n");
  const sections = [t.help.intro, everyone];
  if (role !== undefined) sections.push(staffCommandsText(commands, locale, role));
  return sections.join("\n\n");
}

/** The staff section of /help for `role` alone, e.g. to greet someone who just registered as staff. */
export function staffCommandsText(commands: readonly CommandEntry[], locale: Locale, role: StaffRole): string {
  const theirs = commandsFor(commands, role).filter(({ audience }) => !isPublic(audience));
  return [catalogFor(locale).help.staffCommands, ...theirs.map((command) => line(command, locale))].join("\n");
}

function line(command: CommandEntry, locale: Locale): string {
  return `/${command.name} ${command.description[locale]}`;
}
