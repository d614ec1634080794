/**
 * Starts the inputs a node's configuration asks for: the unix socket (always), TCP and HTTP.
 *
 * @module
 */
import { join } from "node:path";
import { bindHttpServer, splitHostPort } from "./bound_http_server.ts";
import type { IntakePort } from "./intake_port.ts";
import { AuthenticationGate } from "./authentication_gate.ts";
import { httpInputHandler } from "./http_input.ts";
import { ListenerToken } from "./listener_token.ts";
import { type ConnectionLimits, serveConnection } from "./serve_connection.ts";

async function acceptLoop(
  node: IntakePort,
  listener: Deno.Listener,
  input: string,
  signal: AbortSignal,
  gate?: AuthenticationGate,
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
      const served = gate
        ? gate.serve(node, conn, limits, signal)
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
export async function startInputs(node: IntakePort): Promise<void> {
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
      (s) => acceptLoop(node, tcp, "tcp", s, new AuthenticationGate(token)),
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
