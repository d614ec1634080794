/**
 * Authenticates a TCP connection before anything it sends is taken in: the first line must be
 * `{"stewardToken":"<token>"}`. Anything else (an HTTP request line, a message) ends the
 * connection with one error line, so an HTTP request sent to the TCP port can never deliver
 * its body, and a client without the token costs a bounded time and memory.
 *
 * @module
 */
import type { ListenerToken } from "./listener_token.ts";

/** Bounds on what a connection may send before it is authenticated. */
export interface AuthenticateOptions {
  /** Longest wait for the token line, in milliseconds (default 5000). */
  timeoutMs?: number;
  /** Most bytes read while looking for the token line (default 1024). */
  maxBytes?: number;
  /** Ends the wait early (the agent stops). */
  signal?: AbortSignal;
}

/** The outcome: the bytes received after the token line, or why the connection is refused. */
export type Authentication =
  | { readonly ok: true; readonly rest: Uint8Array }
  | { readonly ok: false; readonly error: string };

const NEWLINE = 0x0a;

/** The error every unauthenticated client is told: what to send, never the token's place. */
export const TOKEN_REQUIRED = 'the first line must be {"stewardToken":"<token>"} with the ' +
  "agent's listener token (CONFIG_FOLDER/listener_token)";

/**
 * Reads the first line of `conn` and checks it is the token line for `token`.
 *
 * @returns the bytes already read after that line, or the reason to refuse the connection.
 * @example
 * ```ts
 * import { authenticateConnection } from "./authenticate_connection.ts";
 * import { ListenerToken } from "./listener_token.ts";
 * const dir = await Deno.makeTempDir();
 * const token = await ListenerToken.load(dir);
 * const line = JSON.stringify({ stewardToken: (await Deno.readTextFile(token.path)).trim() });
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * await client.write(new TextEncoder().encode(line + "\n[]"));
 * const server = await listener.accept();
 * const auth = await authenticateConnection(server, token);
 * console.assert(auth.ok && new TextDecoder().decode(auth.rest) === "[]");
 * [server, client, listener].forEach((c) => c.close());
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function authenticateConnection(
  conn: Deno.Conn,
  token: ListenerToken,
  options: AuthenticateOptions = {},
): Promise<Authentication> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBytes = options.maxBytes ?? 1024;
  const buffer = new Uint8Array(maxBytes + 1);
  let length = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<null>((resolve) => timer = setTimeout(resolve, timeoutMs, null));
  let onAbort = () => {};
  const aborted = new Promise<null>((resolve) => {
    onAbort = () => resolve(null);
    if (options.signal?.aborted) resolve(null);
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    while (true) {
      const end = buffer.subarray(0, length).indexOf(NEWLINE);
      if (end >= 0) {
        return check(buffer.subarray(0, end), token, buffer.slice(end + 1, length));
      }
      if (length > maxBytes - 1) {
        return { ok: false, error: `authentication required: ${TOKEN_REQUIRED}` };
      }
      const n = await Promise.race([
        conn.read(buffer.subarray(length, maxBytes)),
        expired,
        aborted,
      ]);
      if (n === null) {
        return {
          ok: false,
          error: options.signal?.aborted
            ? "the agent is stopping"
            : `authentication required: ${TOKEN_REQUIRED} (no token line received)`,
        };
      }
      length += n;
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

function check(line: Uint8Array, token: ListenerToken, rest: Uint8Array): Authentication {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(line));
  } catch {
    value = undefined;
  }
  const given = value !== null && typeof value === "object" && !Array.isArray(value) &&
      Object.keys(value).length === 1
    ? (value as { stewardToken?: unknown }).stewardToken
    : undefined;
  if (typeof given !== "string") {
    return { ok: false, error: `authentication required: ${TOKEN_REQUIRED}` };
  }
  if (!token.matches(given)) {
    return { ok: false, error: "authentication failed: wrong listener token" };
  }
  return { ok: true, rest };
}
