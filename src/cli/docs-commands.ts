import { readFile, writeFile } from "node:fs/promises";
import { COMMANDS_DOC_FILE, withCommandTable } from "../flows/command-docs.ts";

/*
 * `npm run docs:commands`: rewrites the command table in docs/web-chat.md from
 * the commands the flows and the engine declare. Run it after adding or
 * changing a command and commit the result; a test fails while they disagree.
 */
await writeFile(COMMANDS_DOC_FILE, withCommandTable(await readFile(COMMANDS_DOC_FILE, "utf8")));
process.stdout.write(`已更新 / updated ${COMMANDS_DOC_FILE}\n`);
