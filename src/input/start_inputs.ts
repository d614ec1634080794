/**
 * Starts the inputs a node's configuration asks for: the unix socket (always), TCP and HTTP.
 *
 * @module
 */
import { join } from "node:path";
import { bindHttpServer, splitHostPort } from "./bound_http_server.ts";
import type { Node } from "../node/node.ts";
import { isClientEnvelope } from "./client_protocol.ts";
import { clientSessionResponse } from "./client_session.ts";
import { intakeValue, parseInput, rejectInput } from "./intake.ts";
import { type ConnectionLimits, serveConnection } from "./serve_connection.ts";

async function acceptLoop(
  node: Node,
  listener: Deno.Listener,
  input: string,
  signal: AbortSignal,
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
      const served = serveConnection(node, conn, input, limits, signal);
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
 * listeners, each as a supervised process of `node`.
 *
 * @throws {Error} when a listener cannot be opened, naming it.
 */
export async function startInputs(node: Node): Promise<void> {
  const c = node.config;
  await Deno.mkdir(c.socketFolder, { recursive: true });
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
  if (c.tcpListener) {
    let tcp: Deno.Listener;
    try {
      tcp = Deno.listen({ transport: "tcp", ...splitHostPort(c.tcpListener) });
    } catch (err) {
      throw new Error(`Cannot open -tcpListener ${c.tcpListener}: ${(err as Error).message}`);
    }
    node.supervisor.start(
      "listener",
      `tcp:${c.tcpListener}`,
      (s) => acceptLoop(node, tcp, "tcp", s),
    );
  }
  if (c.httpListener) {
    const server = bindHttpServer("-httpListener", c.httpListener, async (req) => {
      if (req.method === "GET") {
        return Response.json({ node: c.nodeName, inflight: node.inflightCount });
      }
      if (req.method !== "POST") {
        return new Response("use POST with a JSON body\n", { status: 405 });
      }
      const body = new Uint8Array(await req.arrayBuffer());
      if (body.length > c.maxMessageSize * 2) {
        return Response.json([{ status: "rejected", error: "body too large" }], { status: 413 });
      }
      const parsed = parseInput(body);
      if ("value" in parsed && isClientEnvelope(parsed.value)) {
        // The client protocol: NDJSON lines streamed back while the session runs.
        return clientSessionResponse(node, parsed.value, "http");
      }
      const answers = "error" in parsed
        ? [rejectInput(node, "http", parsed.error)]
        : (await intakeValue(node, parsed.value, "http")).answers;
      const ok = answers.some((a) => a.status === "accepted");
      return Response.json(answers, { status: ok ? 200 : 400 });
    });
    node.supervisor.start("listener", `http:${c.httpListener}`, (signal) => server.run(signal));
  }
}
