/**
 * The checks every request to the web page passes before anything is read or done: the
 * `Host` it was sent to, the page it came from (`Origin`, `Sec-Fetch-Site`), its credential
 * (the listener token as `Authorization: Bearer`, or a session cookie from the login form) and,
 * for a change, a header no cross-site form or simple request can carry.
 *
 * @module
 */
import { splitHostPort } from "../input/bound_http_server.ts";
import { bearerToken, type ListenerToken } from "../input/listener_token.ts";
import { cookieValue, SESSION_COOKIE, type WebSessions } from "./web_sessions.ts";

/** The header every state-changing request of the page's script carries. */
export const CHANGE_HEADER = "x-steward-request";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** What a web request is checked against. */
export interface WebGuardContext {
  /** The address the page is served at (`host:port`, host 127.0.0.1 when empty). */
  hostAndPort: string;
  token: ListenerToken;
  sessions: WebSessions;
}

/** Why a request is refused. */
export interface WebRefusal {
  status: 401 | 403 | 421;
  error: string;
}

/**
 * Checks where `req` was sent and where it came from: 421 when a page bound to loopback is
 * asked for by another name (a DNS rebinding page), 403 when its `Origin` is not the page's
 * own, or when it changes something (`change`) and comes from another site or lacks
 * the {@linkcode CHANGE_HEADER}.
 *
 * @example
 * ```ts
 * import { originRefusal } from "./web_guard.ts";
 * const req = new Request("http://127.0.0.1:8090/api/send", {
 *   method: "POST",
 *   headers: { host: "127.0.0.1:8090", origin: "http://evil.example" },
 * });
 * console.assert(originRefusal(req, "127.0.0.1:8090", true)?.status === 403);
 * ```
 */
export function originRefusal(
  req: Request,
  hostAndPort: string,
  change: boolean,
): WebRefusal | undefined {
  const host = req.headers.get("host") ?? new URL(req.url).host;
  const { hostname, port } = splitHostPort(hostAndPort);
  if (LOOPBACK.has(hostname)) {
    const asked = splitHostPort(host.includes(":") ? host : `${host}:80`);
    if (!LOOPBACK.has(asked.hostname) || asked.port !== port) {
      return { status: 421, error: `this page is served as ${hostAndPort}, not as ${host}` };
    }
  }
  const origin = req.headers.get("origin");
  if (origin !== null && origin !== `http://${host}`) {
    return { status: 403, error: `requests from origin ${JSON.stringify(origin)} are refused` };
  }
  if (!change) return undefined;
  const site = req.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return { status: 403, error: `a ${site} request cannot change anything` };
  }
  if (req.headers.get(CHANGE_HEADER) !== "1") {
    return { status: 403, error: `a change needs the header ${CHANGE_HEADER}: 1` };
  }
  return undefined;
}

/**
 * True when `req` carries the listener token as `Authorization: Bearer`, or the cookie of an
 * open session.
 *
 * @example
 * ```ts
 * import { isAuthenticated } from "./web_guard.ts";
 * import { WebSessions } from "./web_sessions.ts";
 * import { ListenerToken } from "../input/listener_token.ts";
 * const dir = await Deno.makeTempDir();
 * const context = { hostAndPort: ":8090", token: await ListenerToken.load(dir), sessions: new WebSessions() };
 * const id = context.sessions.create();
 * const req = new Request("http://127.0.0.1:8090/", { headers: { cookie: `steward_session=${id}` } });
 * console.assert(isAuthenticated(req, context));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function isAuthenticated(req: Request, context: WebGuardContext): boolean {
  const bearer = bearerToken(req.headers.get("authorization"));
  if (bearer !== undefined) return context.token.matches(bearer);
  return context.sessions.valid(cookieValue(req.headers.get("cookie"), SESSION_COOKIE));
}
