import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createConsoleAssets } from "../../../src/bot/console/assets.ts";
import { html, trustedHtml } from "../../../src/bot/console/html.ts";
import { requestLocale } from "../../../src/bot/console/i18n.ts";
import { createPageShell } from "../../../src/bot/console/layout.ts";
import type { HttpRequest } from "../../../src/bot/http/route.ts";

const request = (path: string, headers: Record<string, string> = {}): HttpRequest => {
  const url = new URL(path, "http://localhost");
  return { method: "GET", path: url.pathname, query: url.searchParams, headers, body: Buffer.alloc(0), remoteAddress: "127.0.0.1" };
};

describe("page templates", () => {
  it("text from data is escaped wherever it lands, and only trusted markup passes as is", () => {
    const name = `<script>alert("x")</script> & 'quoted'`;
    const fragment = html`<p title="${name}">${name}${trustedHtml("<b>ok</b>")}${[1, html`<i>${"<"}</i>`]}${false}${undefined}</p>`;
    expect(fragment.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;">' +
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;<b>ok</b>1<i>&lt;</i></p>",
    );
  });

  it("the language is the one chosen, else the cookie's, else the browser's, else Chinese", () => {
    expect(requestLocale(request("/map?lang=en", { cookie: "linli_lang=zh" }))).toBe("en");
    expect(requestLocale(request("/map", { cookie: "linli_lang=en" }))).toBe("en");
    expect(requestLocale(request("/map", { "accept-language": "fr-FR, en-GB;q=0.8, zh;q=0.5" }))).toBe("en");
    expect(requestLocale(request("/map", { "accept-language": "fr-FR" }))).toBe("zh");
  });
});

describe("the page frame", () => {
  const shell = createPageShell({ townName: () => ({ zh: "样例镇", en: "Sample Town" }) });

  it("a public page names the town, admits only this server's scripts and styles, and keeps page data out of the markup's reach", () => {
    const page = shell.render({
      request: request("/board?lang=en"),
      locale: "en",
      audience: { type: "public" },
      page: "board",
      title: "Board",
      main: html`<p>hello</p>`,
      scripts: ["board"],
      data: { note: "</script><script>alert(1)</script>" },
    });
    const body = String(page.body);
    expect(page.headers?.["Content-Security-Policy"]).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
    expect(page.headers?.["Set-Cookie"]).toMatch(/^linli_lang=en;/);
    expect(body).toContain("<title>Board · Sample Town · Linli</title>");
    expect(body).toContain('<script src="console/assets/board.js" defer></script>');
    expect(body).not.toContain("</script><script>alert(1)");
    expect(body).toContain("\\u003c/script>");
    expect(body).not.toContain("sign-out");
  });

  it("a staff page carries the sign-out form with the session's token, relative asset paths and no caching", () => {
    const page = shell.render({
      request: request("/console/cases"),
      locale: "zh",
      audience: {
        type: "staff",
        staff: { staffId: "s1", channel: "web", userId: "u1", label: "值班员", role: "ADMIN", districtCodes: [], roadCommitteeCodes: [] },
        csrfToken: "token-1",
      },
      page: "cases",
      title: "案件",
      main: html``,
      imageOrigins: ["https://tiles.example"],
    });
    const body = String(page.body);
    expect(body).toMatch(/<input type="hidden" name="csrf" value="token-1" \/>/);
    expect(body).toContain('<link rel="stylesheet" href="assets/console.css" />');
    expect(body).toMatch(/<a\s+href="cases"\s+aria-current="page"\s*>案件<\/a/);
    expect(page.headers?.["Cache-Control"]).toBe("no-store");
    expect(page.headers?.["Content-Security-Policy"]).toContain("img-src 'self' data: https://tiles.example;");
  });
});

describe("console assets", () => {
  it("every page script bundles, and a served file is gzipped on request and revalidated by its ETag", async () => {
    const assets = createConsoleAssets();
    const scripts = await assets.bundleAll();
    expect(scripts.length).toBeGreaterThan(0);
    const [route] = assets.routes;
    const plain = await route!.handle(request("/console/assets/console.css"));
    expect(plain.status).toBe(200);
    expect(plain.headers?.["Content-Type"]).toBe("text/css; charset=utf-8");
    const zipped = await route!.handle(request("/console/assets/console.css", { "accept-encoding": "gzip, br" }));
    expect(zipped.headers?.["Content-Encoding"]).toBe("gzip");
    expect(gunzipSync(zipped.body as Buffer).equals(plain.body as Buffer)).toBe(true);
    const again = await route!.handle(request("/console/assets/console.css", { "if-none-match": plain.headers!.ETag! }));
    expect(again.status).toBe(304);
    expect((await route!.handle(request("/console/assets/leaflet.css"))).status).toBe(200);
    expect((await route!.handle(request("/console/assets/MarkerCluster.Default.css"))).status).toBe(200);
    expect((await route!.handle(request("/console/assets/..%2Fconsole.ts"))).status).toBe(404);
    expect((await route!.handle(request("/console/assets/secrets.js"))).status).toBe(404);
  });
});
