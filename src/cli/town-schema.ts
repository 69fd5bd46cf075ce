import { writeFile } from "node:fs/promises";
import { renderTownSchemaJson, TOWN_SCHEMA_FILE } from "../towndata/town-file.ts";

/*
 * `npm run schema:json`: regenerates data/town.schema.json from the zod schema.
 * Run it after changing src/domain/town/town-data.ts and commit the result; a
 * test fails while the committed file and the schema disagree.
 */
await writeFile(TOWN_SCHEMA_FILE, renderTownSchemaJson());
process.stdout.write(`已生成 / wrote ${TOWN_SCHEMA_FILE}\n`);
