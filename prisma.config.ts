import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { defineConfig } from "prisma/config";

/**
 * A fresh in-memory PGlite as Prisma's driver adapter. The schema engine replays
 * each committed migration as one parameterless statement, which PGlite's
 * prepared-statement path rejects when it holds several commands; such
 * statements go through PGlite's simple-query `exec` instead.
 */
async function inMemoryPGlite() {
  const pglite = new PGlite();
  const adapter = await new PrismaPGlite(pglite).connect();
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (query) => {
    if (query.args.length > 0) return executeRaw(query);
    const results = await pglite.exec(query.sql);
    return results.reduce((sum, result) => sum + (result.affectedRows ?? 0), 0);
  };
  return adapter;
}

// The CLI is used only to generate the client and to author migrations
// (`npm run db:migration -- <name>`), always against throwaway in-memory
// databases: no engine binary is downloaded and no real database is touched.
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  async adapter() {
    return { provider: "postgres", adapterName: "pglite-in-memory", connect: inMemoryPGlite, connectToShadowDb: inMemoryPGlite };
  },
});
