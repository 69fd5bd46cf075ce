import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { defineConfig } from "prisma/config";

// The CLI is used only to generate the client and to author migrations. It works
// against a throwaway in-memory PGlite so no engine binary is downloaded and no
// real database is touched; the app applies committed migrations itself at start.
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  async adapter() {
    return new PrismaPGlite(new PGlite());
  },
});
