/**
 * Reads an HTTP request body up to a limit, counting as it streams in, so that an oversized
 * body is refused as soon as it passes the limit instead of after it was held in memory whole.
 *
 * @module
 */

/** The body, or `tooLarge` when it (or its declared `Content-Length`) passed the limit. */
export type LimitedBody =
  | { readonly tooLarge: false; readonly bytes: Uint8Array }
  | { readonly tooLarge: true };

/**
 * Reads `req`'s body, refusing it at once when `Content-Length` is over `limit` bytes and
 * otherwise as soon as the bytes received pass `limit` (the rest is never read).
 *
 * @example
 * ```ts
 * import { readLimitedBody } from "./read_limited_body.ts";
 * const small = await readLimitedBody(new Request("http://x/", { method: "POST", body: "[]" }), 8);
 * console.assert(!small.tooLarge && small.bytes.length === 2);
 * const big = await readLimitedBody(new Request("http://x/", { method: "POST", body: "[1,2,3]" }), 4);
 * console.assert(big.tooLarge);
 * ```
 */
export async function readLimitedBody(req: Request, limit: number): Promise<LimitedBody> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await req.body?.cancel().catch(() => {});
    return { tooLarge: true };
  }
  if (!req.body) return { tooLarge: false, bytes: new Uint8Array(0) };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel().catch(() => {});
      return { tooLarge: true };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { tooLarge: false, bytes };
}
