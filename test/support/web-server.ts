import { createWebChannel } from "../../src/bot/channels/web/channel.ts";
import { createWebInbox, type WebInbox } from "../../src/bot/channels/web/inbox.ts";
import type { ChatPageTown } from "../../src/bot/channels/web/page.ts";
import { startHttpServer, type RunningHttpServer } from "../../src/bot/http/server.ts";
import type { MediaStore } from "../../src/bot/media/store.ts";
import { createMemoryStore } from "../../src/bot/sessions/memory-store.ts";
import type { UpdateHandler } from "../../src/bot/update-handler.ts";
import { commandsFor, declaredCommands } from "../../src/flows/kit/commands.ts";
import { FLOWS } from "../../src/flows/registry.ts";
import { testLogger } from "./logs.ts";

/** The page words of the small test town (test/fixtures/town/minimal.yaml), for pages served without a town database. */
export const TEST_PAGE_TOWN: ChatPageTown = {
  name: { zh: "测试镇", en: "Test Town" },
  neighbourhood: { zh: "松园", en: "Pine Garden Neighbourhood" },
};

/** The web channel alone on a local HTTP server, in front of a handler of the test's choosing. */
export async function startWebChannelServer(
  handler: UpdateHandler,
  media: MediaStore,
  inbox: WebInbox = createWebInbox(createMemoryStore()),
  town: ChatPageTown = TEST_PAGE_TOWN,
): Promise<RunningHttpServer> {
  const logger = testLogger();
  return startHttpServer({
    host: "127.0.0.1",
    port: 0,
    routes: createWebChannel({ handler, media, inbox, menu: commandsFor(declaredCommands(FLOWS)), logger, town: () => town }).routes,
    logger,
  });
}
