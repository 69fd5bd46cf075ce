import type { HttpAnswer } from "../http/client.ts";

/**
 * Reads an answer's body but never more than `maxBytes` of it: a
 * `Content-Length` over the cap is refused before any byte is read, and a body
 * without one is dropped as soon as it crosses the cap, so an oversized file
 * costs at most the cap plus one chunk of memory and transfer. Returns
 * `"tooLarge"` in both cases. Errors of the transfer itself propagate.
 */
export async function readCappedBody(answer: HttpAnswer, maxBytes: number): Promise<Buffer | "tooLarge"> {
  const declared = Number(answer.headers["content-length"] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    answer.body.destroy();
    return "tooLarge";
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of answer.body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      answer.body.destroy();
      return "tooLarge";
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}
