/**
 * The TCP listener's gate: a connection is served only once it presented the listener token;
 * one that does not is told why and closed, and only a bounded number of connections may be
 * waiting to authenticate at once, so strangers cannot use up the agent's file descriptors.
 *
 * @module
 */
import type { IntakePort } from "./intake_port.ts";
import { authenticateConnection } from "./authenticate_connection.ts";
import type { ListenerToken } from "./listener_token.ts";
import { type ConnectionLimits, serveConnection } from "./serve_connection.ts";

/** Options of {@linkcode AuthenticationGate}. */
export interface GateOptions {
  /** Most connections waiting for their token line at once (default 64); more are closed. */
  maxWaiting?: number;
  /** Longest wait for the token line, in milliseconds (default 5000). */
  timeoutMs?: number;
}

const encoder = new TextEncoder();

/**
 * Authenticates each TCP connection of a node's listener, then serves it as the socket's.
 *
 * @example
 * ```ts ignore
 * import { AuthenticationGate } from "./authentication_gate.ts";
 * const gate = new AuthenticationGate(token);
 * for await (const conn of listener) gate.serve(node, conn, limits, signal);
 * ```
 */
export class AuthenticationGate {
  readonly #token: ListenerToken;
  readonly #maxWaiting: number;
  readonly #timeoutMs: number;
  #waiting = 0;

  /** Makes a gate that lets in the connections presenting `token`. */
  constructor(token: ListenerToken, options: GateOptions = {}) {
    this.#token = token;
    this.#maxWaiting = options.maxWaiting ?? 64;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Serves `conn` of `node` once authenticated; otherwise answers one error line and closes. */
  async serve(
    node: IntakePort,
    conn: Deno.Conn,
    limits: ConnectionLimits,
    signal: AbortSignal,
  ): Promise<void> {
    if (this.#waiting >= this.#maxWaiting) {
      node.metrics.rejected.inc({ input: "tcp" });
      return refuse(conn, `too many connections waiting to authenticate; try again later`);
    }
    this.#waiting++;
    let auth;
    try {
      auth = await authenticateConnection(conn, this.#token, {
        signal,
        timeoutMs: this.#timeoutMs,
      });
    } finally {
      this.#waiting--;
    }
    if (auth.ok) {
      return serveConnection(node, conn, "tcp", limits, { signal, received: auth.rest });
    }
    node.metrics.rejected.inc({ input: "tcp" });
    await refuse(conn, auth.error);
  }
}

/** Answers one error line and closes `conn`, never reading what the client sent. */
async function refuse(conn: Deno.Conn, error: string): Promise<void> {
  try {
    await conn.write(encoder.encode(JSON.stringify({ status: "rejected", error }) + "\n"));
    await conn.closeWrite();
    await discardBriefly(conn);
  } catch {
    // The client is gone: nothing to tell it.
  }
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/**
 * Drops what the client is still sending, for a bounded time and size, before the connection
 * is closed: closing with unread bytes resets it, and a reset can destroy the error line on its
 * way to the client. Nothing read here is looked at.
 */
async function discardBriefly(conn: Deno.Conn): Promise<void> {
  const sink = new Uint8Array(16 * 1024);
  const until = Date.now() + 500;
  let left = 256 * 1024;
  while (left > 0) {
    const wait = until - Date.now();
    if (wait <= 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(sink),
      new Promise<null>((r) => timer = setTimeout(r, wait, null)),
    ]).finally(() => clearTimeout(timer));
    if (n === null) return;
    left -= n;
  }
}
