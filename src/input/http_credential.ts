/**
 * The credential checks of an HTTP listener, before anything of a request is read: the
 * listener token as `Authorization: Bearer`, and no `Origin` but the listener's own. Shared by
 * the listeners that take commands (`-httpListener`, and later a web page).
 *
 * @module
 */
import { splitHostPort } from "./bound_http_server.ts";
import { bearerToken, type ListenerToken } from "./listener_token.ts";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/**
 * True when `origin` (an `Origin` header) is the listener's own: `http://<host>:<port>` as
 * configured, where a loopback or wildcard host also matches the loopback names. A page of any
 * other origin (another site, another port, `null`) is foreign.
 *
 * @example
 * ```ts
 * import { isOwnOrigin } from "./http_credential.ts";
 * isOwnOrigin("http://127.0.0.1:8090", "127.0.0.1:8090"); // true
 * isOwnOrigin("http://localhost:8090", "127.0.0.1:8090"); // true
 * isOwnOrigin("http://evil.example:8090", "127.0.0.1:8090"); // false
 * ```
 */
export function isOwnOrigin(origin: string, hostAndPort: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const { hostname, port } = splitHostPort(hostAndPort);
  if (url.protocol !== "http:" || url.port !== String(port)) return false;
  if (url.hostname === hostname) return true;
  const wildcard = hostname === "0.0.0.0" || hostname === "::" || hostname === "[::]";
  return (LOOPBACK.has(hostname) || wildcard) && LOOPBACK.has(url.hostname);
}

/** Why a request is refused: the HTTP status, the error to answer, headers to send. */
export interface CredentialRefusal {
  readonly status: 401 | 403;
  readonly error: string;
  readonly headers: Record<string, string>;
}

/**
 * Checks `req` for the listener at `hostAndPort`: 403 when it carries a foreign `Origin` (a
 * page of another site), 401 when it lacks the `token` as `Authorization: Bearer`.
 *
 * @returns the refusal, or undefined when the request may go on.
 * @example
 * ```ts
 * import { credentialRefusal } from "./http_credential.ts";
 * import { ListenerToken } from "./listener_token.ts";
 * const dir = await Deno.makeTempDir();
 * const token = await ListenerToken.load(dir);
 * const req = new Request("http://127.0.0.1:8090/", { headers: { origin: "http://evil.example" } });
 * console.assert(credentialRefusal(req, token, "127.0.0.1:8090")?.status === 403);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function credentialRefusal(
  req: Request,
  token: ListenerToken,
  hostAndPort: string,
): CredentialRefusal | undefined {
  const origin = req.headers.get("origin");
  if (origin !== null && !isOwnOrigin(origin, hostAndPort)) {
    return {
      status: 403,
      error: `requests from origin ${JSON.stringify(origin)} are not accepted`,
      headers: {},
    };
  }
  if (!token.matches(bearerToken(req.headers.get("authorization")))) {
    return {
      status: 401,
      error: "authentication required: send Authorization: Bearer <token> with the agent's " +
        "listener token (CONFIG_FOLDER/listener_token)",
      headers: { "www-authenticate": 'Bearer realm="steward"' },
    };
  }
  return undefined;
}
