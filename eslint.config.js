import js from "@eslint/js";
import tseslint from "typescript-eslint";

const channelSdks = ["grammy", "grammy/*", "@grammyjs/*", "@wecom/*"];
const infrastructure = ["ioredis", "pg", "@electric-sql/*", "pglite-prisma-adapter", "@prisma/adapter-pg", "node:http", "node:net"];

/** The layer rule of docs/architecture: flows and domain never reach channels, sessions or the environment. */
const layerRule = (extra) => ({
  "no-restricted-imports": [
    "error",
    {
      patterns: [
        {
          group: [...channelSdks, ...infrastructure],
          message: "This layer must stay channel- and infrastructure-agnostic; receive what you need through injected services.",
        },
        {
          group: ["**/bot/**", "**/bot", "**/main.ts", "**/config.ts", ...extra],
          message: "This layer must not import outer layers (bot, main, config).",
        },
      ],
    },
  ],
  "no-restricted-properties": ["error", { object: "process", property: "env", message: "Only src/config.ts reads the environment." }],
});

const CHANNELS = ["telegram", "web", "wecom"];
const channelSdkOf = { telegram: ["grammy", "grammy/*", "@grammyjs/*"], wecom: ["@wecom/*"], web: [] };

/** A channel may use its own SDK only, and never another channel's code. */
const channelRule = (channel) => ({
  "no-restricted-imports": [
    "error",
    {
      patterns: [
        ...CHANNELS.filter((other) => other !== channel).map((other) => ({
          group: [`**/channels/${other}/**`, `../${other}/**`, ...channelSdkOf[other]],
          message: `Channels never import each other; only src/bot/channels/${other} talks to that channel.`,
        })),
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ["node_modules/", "src/generated/", "data/", "coverage/", "bench-results/", "dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: CHANNELS.map((channel) => `src/bot/channels/${channel}/**`),
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: channelSdks, message: "Only the matching src/bot/channels/<channel> folder may use a channel SDK." }] },
      ],
    },
  },
  ...CHANNELS.map((channel) => ({ files: [`src/bot/channels/${channel}/**/*.ts`], rules: channelRule(channel) })),
  // The domain receives the database as injected Prisma and Sql; db/sql.ts is where Sql's contract is written.
  { files: ["src/domain/**/*.ts"], rules: layerRule(["**/flows/**", "**/db/**", "!**/db/sql.ts"]) },
  { files: ["src/flows/**/*.ts"], rules: layerRule(["**/db/**"]) },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/config.ts"],
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Only src/config.ts reads the environment." }],
    },
  },
);
