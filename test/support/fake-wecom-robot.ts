import { createServer, type Server } from "node:http";

/** A WeCom group robot webhook (`POST /cgi-bin/webhook/send?key=…`) on loopback, answering as WeCom does. */
export interface FakeWecomRobot {
  /** The webhook URL of a robot with this key. */
  urlFor(key: string): string;
  /** Markdown contents received per key, oldest first. */
  received(key: string): string[];
  /** The next `count` sends answer with this errcode instead of 0. */
  failNext(count: number, errcode: number): void;
  close(): Promise<void>;
}

export async function startFakeWecomRobot(): Promise<FakeWecomRobot> {
  const messages = new Map<string, string[]>();
  const failures: number[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://fake.wecom");
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const answer = (body: object) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(body));
      };
      const key = url.searchParams.get("key");
      if (request.method !== "POST" || url.pathname !== "/cgi-bin/webhook/send" || !key) return answer({ errcode: 93000, errmsg: "invalid webhook url" });
      const failure = failures.shift();
      if (failure !== undefined) return answer({ errcode: failure, errmsg: "injected failure" });
      let body: { msgtype?: string; markdown?: { content?: string } };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return answer({ errcode: 40000, errmsg: "invalid json" });
      }
      const content = body.markdown?.content ?? "";
      if (body.msgtype !== "markdown" || Buffer.byteLength(content, "utf8") > 4096) return answer({ errcode: 40058, errmsg: "markdown content exceeds 4096 bytes" });
      messages.set(key, [...(messages.get(key) ?? []), content]);
      answer({ errcode: 0, errmsg: "ok" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    urlFor: (key) => `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=${key}`,
    received: (key) => messages.get(key) ?? [],
    failNext: (count, errcode) => failures.push(...Array.from({ length: count }, () => errcode)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
