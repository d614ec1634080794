import { MethodError, type MethodImpl } from "./types.ts";

/**
 * `REQHttpGet`: fetches the URL in `methodArgs[0]` on the node and replies with the body.
 * `methodTimeout` bounds the whole exchange; a non-2xx status or a network error is an error
 * reply naming the URL; a body larger than `maxMessageSize` is refused rather than cut.
 */
export const httpGet: MethodImpl<"REQHttpGet"> = {
  name: "REQHttpGet",
  async handler({ node, message, signal }) {
    const url = checkUrl(message.methodArgs[0]);
    const timedOut = () =>
      new MethodError(
        `HTTP GET ${url}: no complete answer within methodTimeout (${message.methodTimeout} s)`,
      );
    let res: Response;
    try {
      res = await fetchSameHost(url, signal);
    } catch (err) {
      if (err instanceof MethodError) throw err;
      if (signal.aborted) throw timedOut();
      throw new MethodError(`HTTP GET ${url} failed: ${(err as Error).message}`);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new MethodError(`HTTP ${res.status} ${res.statusText} from ${url}`.replace("  ", " "));
    }
    const limit = node.config.maxMessageSize;
    const declared = Number(res.headers.get("content-length") ?? NaN);
    if (declared > limit) {
      await res.body?.cancel().catch(() => {});
      throw tooLarge(url, `${declared}`, limit);
    }
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body ?? new ReadableStream<Uint8Array>()) {
        size += chunk.length;
        if (size > limit) {
          await res.body?.cancel().catch(() => {});
          throw tooLarge(url, `more than ${limit}`, limit);
        }
        parts.push(chunk);
      }
    } catch (err) {
      if (err instanceof MethodError) throw err;
      if (signal.aborted) throw timedOut();
      throw new MethodError(`HTTP GET ${url}: reading the body failed: ${(err as Error).message}`);
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      body.set(p, at);
      at += p.length;
    }
    return { data: new TextDecoder().decode(body) };
  },
};

const MAX_REDIRECTS = 5;

/**
 * Fetches `url`, following redirects only to the same host and port: an ACL that allows one
 * host must not be stepped around by a redirect to another (say, a cloud metadata address).
 */
async function fetchSameHost(url: string, signal: AbortSignal): Promise<Response> {
  const origin = new URL(url);
  let at = url;
  for (let hop = 0;; hop++) {
    const res = await fetch(at, { signal, redirect: "manual" });
    const location = res.headers.get("location");
    if (res.status < 300 || res.status > 399 || location === null) return res;
    await res.body?.cancel().catch(() => {});
    const next = new URL(location, at);
    if (next.host !== origin.host || !["http:", "https:"].includes(next.protocol)) {
      throw new MethodError(
        `HTTP GET ${url}: redirected to ${next.href}, another host; not followed`,
      );
    }
    if (hop >= MAX_REDIRECTS) {
      throw new MethodError(`HTTP GET ${url}: more than ${MAX_REDIRECTS} redirects`);
    }
    at = next.href;
  }
}

function checkUrl(raw: string | undefined): string {
  if (!raw) throw new MethodError("methodArgs[0] must be the URL to fetch");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MethodError(`methodArgs[0] ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new MethodError(`methodArgs[0] ${JSON.stringify(raw)}: only http and https URLs`);
  }
  return url.href;
}

function tooLarge(url: string, size: string, limit: number): MethodError {
  return new MethodError(
    `HTTP GET ${url}: body of ${size} bytes exceeds the maxMessageSize of ${limit} bytes`,
  );
}
