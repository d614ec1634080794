/**
 * Sessions of the web page: after the login form took the listener token, the browser holds
 * a random session id in an HttpOnly cookie instead of the token itself, so the page's script
 * never sees a credential and logging out ends only that browser's access.
 *
 * @module
 */

/** Name of the session cookie. */
export const SESSION_COOKIE = "steward_session";

/** Options of {@linkcode WebSessions}. */
export interface WebSessionsOptions {
  /** Most sessions at once (default 64); the oldest ends for a new one. */
  max?: number;
  /** How long a session lasts, in ms (default 12 hours). */
  ttlMs?: number;
  /** The clock (default `Date.now`). */
  now?: () => number;
}

/**
 * The open sessions, in memory: a restart of central logs every browser out.
 *
 * @example
 * ```ts
 * import { WebSessions } from "./web_sessions.ts";
 * const sessions = new WebSessions({ max: 2 });
 * const id = sessions.create();
 * console.assert(sessions.valid(id) && !sessions.valid("guess"));
 * sessions.end(id);
 * console.assert(!sessions.valid(id));
 * ```
 */
export class WebSessions {
  /** Session id → when it expires. */
  #open = new Map<string, number>();
  #max: number;
  readonly ttlMs: number;
  #now: () => number;

  constructor(options: WebSessionsOptions = {}) {
    this.#max = Math.max(1, options.max ?? 64);
    this.ttlMs = options.ttlMs ?? 12 * 3600_000;
    this.#now = options.now ?? Date.now;
  }

  /** Opens a session; returns its id (32 random bytes, base64url). */
  create(): string {
    const bytes = new Uint8Array(32);
    crypto.getRandomValues(bytes);
    const id = bytes.toBase64({ alphabet: "base64url", omitPadding: true });
    for (const [old, until] of this.#open) {
      if (this.#open.size < this.#max && until > this.#now()) break;
      this.#open.delete(old);
    }
    this.#open.set(id, this.#now() + this.ttlMs);
    return id;
  }

  /** True when `id` is an open session that has not expired. */
  valid(id: string | undefined): boolean {
    if (id === undefined) return false;
    const until = this.#open.get(id);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#open.delete(id);
    return false;
  }

  /** Ends the session `id`. */
  end(id: string | undefined): void {
    if (id !== undefined) this.#open.delete(id);
  }
}

/**
 * The value of cookie `name` in a `Cookie` header, or undefined.
 *
 * @example
 * ```ts
 * import { cookieValue } from "./web_sessions.ts";
 * cookieValue("a=1; steward_session=xyz", "steward_session"); // "xyz"
 * ```
 */
export function cookieValue(header: string | null, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * The `Set-Cookie` value that gives a browser session `id` (empty: ends it): HttpOnly (no
 * script reads it), SameSite=Strict (no other site's page sends it).
 *
 * @example
 * ```ts
 * import { sessionCookie } from "./web_sessions.ts";
 * sessionCookie("", 0); // "steward_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
 * ```
 */
export function sessionCookie(id: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}`;
}
