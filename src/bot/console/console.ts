import type { MapTiles } from "../../config.ts";
import type { Locale } from "../../flows/kit/messages.ts";
import type { Database } from "../../db/database.ts";
import type { StaffMemberInfo } from "../../domain/staff/registry.ts";
import type { WorkingCalendar } from "../../domain/time/working-time.ts";
import type { Logger } from "../../log.ts";
import type { TownServices } from "../../services.ts";
import type { HttpRequest, HttpResponse, Route } from "../http/route.ts";
import type { MediaStore } from "../media/store.ts";
import { createConsoleAssets } from "./assets.ts";
import { caseEventRoutes } from "./case-events.ts";
import { caseRoutes } from "./case-page.ts";
import { caseDeskRoutes } from "./cases.ts";
import { html } from "./html.ts";
import { catalog, requestLocale } from "./i18n.ts";
import { figuresRoutes } from "./figures.ts";
import { createPageShell, type PageShell } from "./layout.ts";
import { mapRoutes } from "./map.ts";
import type { ConsoleAccess } from "./routes.ts";

/** What the console's page modules are built from: the town's services, its database and the shared page frame. */
export interface ConsoleContext {
  access: ConsoleAccess;
  services: TownServices;
  db: Pick<Database, "prisma" | "sql">;
  townCode: string;
  shell: PageShell;
  /** Report photos: the case page shows a case's photos to the staff covering it and keeps resolution photos. */
  media: MediaStore;
  logger: Logger;
  /** The town's working calendar, which the scheduler runs on: what "overdue" and local dates mean on every page. */
  calendar: WorkingCalendar;
  /** "Now" for every page (the system clock unless a test sets one). */
  clock: () => Date;
  /** The maps' base-map tile layer, when one is configured (MAP_TILE_*); without it maps draw on a plain background. */
  map: { tiles: MapTiles | undefined };
}

/** A signed-in staff member as a console page handler receives them. */
export interface SignedIn {
  staff: StaffMemberInfo;
  csrfToken: string;
  locale: Locale;
}

const notSignedIn = catalog(
  {
    title: "请先登录",
    body: "网页工作台只对登记的工作人员开放。请在与「邻里」的私聊中发送 /web，然后打开收到的登录链接。",
  },
  {
    title: "Please sign in",
    body: "The web console is for registered staff only. Send /web in your private chat with Linli and open the sign-in link it sends you.",
  },
);

/**
 * A console page's handler behind the staff check: without a live session the
 * visitor gets a short page saying how to sign in (401) and nothing of the
 * console; a state-changing request without the session's CSRF token gets 403
 * before the handler runs. Authorization of the case itself stays with the
 * domain (the desk), which every handler calls.
 */
export function staffPage(
  context: Pick<ConsoleContext, "access" | "shell">,
  handle: (request: HttpRequest, signedIn: SignedIn) => Promise<HttpResponse>,
): (request: HttpRequest) => Promise<HttpResponse> {
  return async (request) => {
    const check = await context.access.requireStaffSession(request);
    const locale = requestLocale(request);
    if (!check.ok) {
      if (check.response.status !== 401 || request.method !== "GET") return check.response;
      const text = notSignedIn[locale];
      const page = context.shell.render({
        request,
        locale,
        audience: { type: "public" },
        page: "cases",
        title: text.title,
        main: html`<p>${text.body}</p>`,
        status: 401,
      });
      return { ...page, headers: { ...page.headers, ...check.response.headers } };
    }
    return handle(request, { staff: check.staff, csrfToken: check.csrfToken, locale });
  };
}

/**
 * The staff console and the public pages, as routes for the one HTTP server.
 * `/console` sends the browser to the case desk; each page module contributes
 * its own routes.
 */
export function createConsole(deps: Omit<ConsoleContext, "shell">): Route[] {
  const shell = createPageShell({ townName: () => deps.services.grid.index.snapshot.town.name });
  const context: ConsoleContext = { ...deps, shell };
  const assets = createConsoleAssets();
  const home: Route = {
    method: "GET",
    path: "/console",
    async handle() {
      // Relative, so a PUBLIC_URL with a path prefix keeps it.
      return { status: 303, headers: { Location: "console/cases", "Cache-Control": "no-store" } };
    },
  };
  return [
    home,
    ...deps.access.routes,
    ...assets.routes,
    ...caseDeskRoutes(context),
    ...caseRoutes(context),
    ...caseEventRoutes(context),
    ...mapRoutes(context),
    ...figuresRoutes(context),
  ];
}
