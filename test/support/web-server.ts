import { createWebChannel } from "../../src/bot/channels/web/channel.ts";
import { createWebInbox, type WebInbox } from "../../src/bot/channels/web/inbox.ts";
import { startHttpServer, type RunningHttpServer } from "../../src/bot/http/server.ts";
import type { MediaStore } from "../../src/bot/media/store.ts";
import { createMemoryStore } from "../../src/bot/sessions/memory-store.ts";
import type { UpdateHandler } from "../../src/bot/update-handler.ts";
import { commandsFor, declaredCommands } from "../../src/flows/kit/commands.ts";
import { FLOWS } from "../../src/flows/registry.ts";
import { createLogger } from "../../src/log.ts";

/** The web channel alone on a local HTTP server, in front of a handler of the test's choosing. */
export async function startWebChannelServer(handler: UpdateHandler, media: MediaStore, inbox: WebInbox = createWebInbox(createMemoryStore())): Promise<RunningHttpServer> {
  const logger = createLogger({ level: "silent" });
  return startHttpServer({ host: "127.0.0.1", port: 0, routes: createWebChannel({ handler, media, inbox, menu: commandsFor(declaredCommands(FLOWS)), logger }).routes, logger });
}
