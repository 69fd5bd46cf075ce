import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { COMMANDS_DOC_FILE, renderCommandTable, withCommandTable } from "../../src/flows/command-docs.ts";
import { declaredCommands } from "../../src/flows/kit/commands.ts";
import { FLOWS } from "../../src/flows/registry.ts";

describe("the command table in docs/web-chat.md", () => {
  it("is exactly what `npm run docs:commands` writes now", async () => {
    const committed = await readFile(COMMANDS_DOC_FILE, "utf8");
    expect(withCommandTable(committed)).toBe(committed);
  });

  it("has one row per declared command, in the order menus and /help list them", () => {
    const rows = renderCommandTable().split("\n").slice(2);
    expect(rows.map((row) => /^\| `\/(\w+)` \|/.exec(row)?.[1])).toEqual(declaredCommands(FLOWS).map((command) => command.name));
  });

  it("cannot be written into a document that lost its markers", () => {
    expect(() => withCommandTable("# Web chat\n\nno table here\n")).toThrow(/markers are missing/);
  });
});
