/**
 * Reads a `fetch` response body but never more than `maxBytes` of it: a
 * `Content-Length` over the cap is refused before any byte is read, and a body
 * without one is cancelled as soon as it crosses the cap, so an oversized file
 * costs at most the cap plus one chunk of memory and transfer. Returns
 * `"tooLarge"` in both cases. Errors of the transfer itself propagate.
 */
export async function readCappedBody(response: Response, maxBytes: number): Promise<Buffer | "tooLarge"> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    return "tooLarge";
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, total);
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return "tooLarge";
    }
    chunks.push(value);
  }
}
