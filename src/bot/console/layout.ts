import type { Locale } from "../../flows/kit/messages.ts";
import type { Bilingual } from "../../domain/grid/index.ts";
import type { StaffMemberInfo } from "../../domain/staff/registry.ts";
import type { HttpRequest, HttpResponse } from "../http/route.ts";
import { html, trustedHtml, type Html } from "./html.ts";
import { catalog, languageCookie } from "./i18n.ts";
import { CSRF_FIELD } from "./routes.ts";

/** The console's own pages (signed-in staff) and the public pages, for the navigation's "you are here". */
export type PageName = "cases" | "case" | "map" | "figures" | "public-map" | "compact" | "board";

/** Who a page is for: signed-in staff (with the token its forms carry) or anyone. */
export type Audience = { type: "staff"; staff: StaffMemberInfo; csrfToken: string } | { type: "public" };

/** What one page puts in the shared frame. */
export interface PageOptions {
  request: HttpRequest;
  locale: Locale;
  audience: Audience;
  page: PageName;
  title: string;
  main: Html;
  /** Client scripts (file names under `client/`, without `.ts`) this page runs; other pages never load them. */
  scripts?: readonly string[];
  /** Style sheets besides the console's own, by asset name (e.g. `leaflet.css`). */
  styles?: readonly string[];
  /** Data for the page's script, as JSON in a non-executed block the script reads by id `page-data`. */
  data?: unknown;
  /** Origins besides this server's that images may come from (a configured base-map tile server). */
  imageOrigins?: readonly string[];
  status?: number;
}

/** Renders pages in the frame every console and public page shares. */
export interface PageShell {
  render(options: PageOptions): HttpResponse;
}

const words = catalog(
  {
    product: "邻里",
    staffConsole: "工作台",
    cases: "案件",
    map: "网格地图",
    figures: "统计",
    publicMap: "网格地图",
    compact: "街区公约",
    board: "办理情况",
    signOut: "退出",
    signedInAs: "当前用户",
    language: "English",
    skip: "跳到正文",
    navigation: "导航",
  },
  {
    product: "Linli",
    staffConsole: "Console",
    cases: "Cases",
    map: "Grid map",
    figures: "Figures",
    publicMap: "Grid map",
    compact: "Street compact",
    board: "Progress board",
    signOut: "Sign out",
    signedInAs: "Signed in as",
    language: "中文",
    skip: "Skip to content",
    navigation: "Navigation",
  },
);

/**
 * The frame of every console and public page: the town's name, navigation,
 * the language switch and, for staff, sign-out. Pages are plain server-rendered
 * HTML that works before any script runs; a page's script and style sheets are
 * listed per page, so the case desk never loads the map's or the charts' code.
 * The policy admits scripts and styles from this server only, no inline code.
 *
 * Links are relative: console pages live one level under `/console/` and the
 * public ones at the root, so a PUBLIC_URL with a path prefix keeps working.
 */
export function createPageShell(options: { townName: () => Bilingual }): PageShell {
  return {
    render(page) {
      const text = words[page.locale];
      const staff = page.audience.type === "staff" ? page.audience : undefined;
      // From /console/<page> assets are "assets/…"; from a public page at the root they are "console/assets/…".
      const assets = staff ? "assets/" : "console/assets/";
      const townName = options.townName()[page.locale];
      const nav: [PageName, string, string][] = staff
        ? [
            ["cases", "cases", text.cases],
            ["map", "map", text.map],
            ["figures", "figures", text.figures],
          ]
        : [
            ["public-map", "map", text.publicMap],
            ["compact", "compact", text.compact],
            ["board", "board", text.board],
          ];
      const switchTo: Locale = page.locale === "zh" ? "en" : "zh";
      const switchQuery = new URLSearchParams(page.request.query);
      switchQuery.set("lang", switchTo);
      const body = html`<!doctype html>
        <html lang="${page.locale === "zh" ? "zh-CN" : "en"}">
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>${page.title} · ${townName} · ${text.product}</title>
            <link rel="stylesheet" href="${assets}console.css" />
            ${(page.styles ?? []).map((name) => html`<link rel="stylesheet" href="${assets}${name}" /> `)}
          </head>
          <body>
            <a class="skip" href="#main">${text.skip}</a>
            <header class="top">
              <div class="brand">${text.product} · ${townName}${staff && html` · ${text.staffConsole}`}</div>
              <nav aria-label="${text.navigation}">
                <ul>
                  ${nav.map(
                    ([name, href, label]) =>
                      html`<li>
                        <a
                          href="${href}"
                          ${name === page.page || (name === "cases" && page.page === "case") ? html` aria-current="page"` : ""}
                          >${label}</a
                        >
                      </li>`,
                  )}
                </ul>
              </nav>
              <div class="account">
                <a href="?${switchQuery.toString()}" lang="${switchTo === "zh" ? "zh-CN" : "en"}">${text.language}</a>
                ${staff &&
                html`<span class="who">${text.signedInAs}: ${staff.staff.label}</span>
                  <form method="post" action="sign-out">
                    <input type="hidden" name="${CSRF_FIELD}" value="${staff.csrfToken}" /><button type="submit">${text.signOut}</button>
                  </form>`}
              </div>
            </header>
            <main id="main" tabindex="-1">
              <h1>${page.title}</h1>
              ${page.main}
            </main>
            ${page.data === undefined
              ? ""
              : html`<script type="application/json" id="page-data">
                  ${jsonForScriptBlock(page.data)}
                </script>`}
            ${(page.scripts ?? []).map((name) => html`<script src="${assets}${name}.js" defer></script> `)}
          </body>
        </html> `;
      return {
        status: page.status ?? 200,
        headers: {
          "Content-Type": "text/html; charset=utf-8",
          "Content-Security-Policy": contentSecurityPolicy(page.imageOrigins ?? []),
          "Cache-Control": staff ? "no-store" : "no-cache",
          ...languageCookie(page.request),
        },
        body: body.value,
      };
    },
  };
}

/** Scripts and styles from this server only and never inline; forms post back here only; nothing frames the page. */
function contentSecurityPolicy(imageOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: ${imageOrigins.join(" ")}`.trim(),
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** JSON inside `<script type="application/json">`: `<` is escaped so no value can close the block. */
function jsonForScriptBlock(data: unknown): Html {
  return trustedHtml(JSON.stringify(data).replace(/</g, "\\u003c"));
}
