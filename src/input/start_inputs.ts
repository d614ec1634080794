/**
 * Starts the inputs a node's configuration asks for: the unix socket (always), TCP and HTTP.
 *
 * @module
 */
import { join } from "node:path";
import { bindHttpServer, splitHostPort } from "./bound_http_server.ts";
import type { Node } from "../node/node.ts";
import { authenticateConnection } from "./authenticate_connection.ts";
import { httpInputHandler } from "./http_input.ts";
import { ListenerToken } from "./listener_token.ts";
import { type ConnectionLimits, serveConnection } from "./serve_connection.ts";

/** Serves a connection that must first present the listener token (the TCP listener). */
async function serveAuthenticated(
  node: Node,
  conn: Deno.Conn,
  token: ListenerToken,
  limits: ConnectionLimits,
  signal: AbortSignal,
): Promise<void> {
  const auth = await authenticateConnection(conn, token, { signal });
  if (auth.ok) return serveConnection(node, conn, "tcp", limits, { signal, received: auth.rest });
  node.metrics.rejected.inc({ input: "tcp" });
  try {
    await conn.write(
      new TextEncoder().encode(JSON.stringify({ status: "rejected", error: auth.error }) + "\n"),
    );
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
 * Reads and drops what the client is still sending, for a bounded time and size, before the
 * connection is closed: closing with unread bytes resets it, and a reset can destroy the error
 * line on its way to the client. Nothing read here is looked at.
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

async function acceptLoop(
  node: Node,
  listener: Deno.Listener,
  input: string,
  signal: AbortSignal,
  token?: ListenerToken,
): Promise<void> {
  const limits: ConnectionLimits = {
    idleMs: 10_000,
    lingerMs: 300,
    maxPendingBytes: node.config.maxMessageSize * 2 + 64 * 1024,
  };
  signal.addEventListener("abort", () => listener.close(), { once: true });
  const open = new Set<Promise<void>>();
  try {
    for await (const conn of listener) {
      const served = token
        ? serveAuthenticated(node, conn, token, limits, signal)
        : serveConnection(node, conn, input, limits, { signal });
      open.add(served);
      served.finally(() => open.delete(served));
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  await Promise.all(open);
}

/**
 * Starts the unix socket `<socketFolder>/steward.sock` and, when configured, the TCP and HTTP
 * listeners, each as a supervised process of `node`. The network listeners require the listener
 * token (`<CONFIG_FOLDER>/listener_token`, created 0600 on first start): TCP as the first line
 * `{"stewardToken":"…"}`, HTTP as `Authorization: Bearer …`. The socket needs none (it is 0600).
 *
 * @throws {Error} when a listener cannot be opened or the token cannot be made or read.
 */
export async function startInputs(node: Node): Promise<void> {
  const c = node.config;
  await Deno.mkdir(c.socketFolder, { recursive: true, mode: 0o700 });
  const path = join(c.socketFolder, "steward.sock");
  await Deno.remove(path).catch(() => {});
  let unix: Deno.Listener;
  try {
    unix = Deno.listen({ transport: "unix", path });
  } catch (err) {
    throw new Error(`Cannot open the socket ${path}: ${(err as Error).message}`);
  }
  // Anyone who can write to the socket can command the fleet: owner only.
  await Deno.chmod(path, 0o600);
  node.supervisor.start("listener", `unix:${path}`, async (signal) => {
    await acceptLoop(node, unix, "socket", signal);
    await Deno.remove(path).catch(() => {});
  });
  // A network port is open to every local user (and to web pages): it takes nothing in
  // without the listener token.
  const token = c.tcpListener || c.httpListener
    ? await ListenerToken.load(node.configFolder)
    : undefined;
  if (token) {
    node.print(
      `steward ${c.nodeName}: -tcpListener/-httpListener clients need the token in ${token.path}`,
    );
  }
  if (c.tcpListener && token) {
    let tcp: Deno.Listener;
    try {
      tcp = Deno.listen({ transport: "tcp", ...splitHostPort(c.tcpListener) });
    } catch (err) {
      throw new Error(`Cannot open -tcpListener ${c.tcpListener}: ${(err as Error).message}`);
    }
    node.supervisor.start(
      "listener",
      `tcp:${c.tcpListener}`,
      (s) => acceptLoop(node, tcp, "tcp", s, token),
    );
  }
  if (c.httpListener && token) {
    const server = bindHttpServer(
      "-httpListener",
      c.httpListener,
      httpInputHandler(node, token, c.httpListener),
    );
    node.supervisor.start("listener", `http:${c.httpListener}`, (signal) => server.run(signal));
  }
}
