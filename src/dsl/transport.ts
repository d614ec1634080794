/**
 * Carries one client envelope to an agent and reads its answer lines back, over the unix
 * socket, TCP or HTTP.
 *
 * @module
 */
import { type ClientLine, clientLineSchema } from "../input/client_protocol.ts";

/**
 * Where the local agent listens: its unix socket, its TCP listener or its HTTP listener.
 *
 * @example
 * ```ts
 * import type { Endpoint } from "../../mod.ts";
 * const local: Endpoint = { socket: "./tmp/steward.sock" };
 * const remote: Endpoint = { http: "127.0.0.1:8090" };
 * ```
 */
export type Endpoint =
  | { readonly socket: string }
  | { readonly tcp: string }
  | { readonly http: string };

const encoder = new TextEncoder();

function hostPort(value: string): { hostname: string; port: number } {
  const at = value.lastIndexOf(":");
  const port = Number(value.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new TypeError(`tcp endpoint "${value}": expected host:port`);
  }
  return { hostname: value.slice(0, at) || "127.0.0.1", port };
}

function parseLine(text: string): ClientLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`Unexpected answer from the agent (not JSON): ${text.slice(0, 200)}`);
  }
  const r = clientLineSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(`Unexpected answer from the agent: ${text.slice(0, 200)}`);
  }
  return r.data;
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<ClientLine> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      const text = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (text !== "") yield parseLine(text);
      nl = buffer.indexOf("\n");
    }
  }
  if (buffer.trim() !== "") yield parseLine(buffer.trim());
}

async function* overConnection(
  conn: Deno.Conn,
  body: Uint8Array,
  signal: AbortSignal,
): AsyncGenerator<ClientLine> {
  const close = () => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  signal.addEventListener("abort", close, { once: true });
  try {
    let written = 0;
    while (written < body.length) written += await conn.write(body.subarray(written));
    yield* lines(conn.readable);
  } finally {
    signal.removeEventListener("abort", close);
    close();
  }
}

async function* overHttp(
  address: string,
  body: string,
  signal: AbortSignal,
): AsyncGenerator<ClientLine> {
  const url = /^https?:\/\//.test(address) ? address : `http://${address}/`;
  const res = await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
    signal,
  });
  if (!res.body) throw new Error(`The agent at ${url} answered ${res.status} with no body`);
  if ((res.headers.get("content-type") ?? "").includes("application/json")) {
    // An answer in plain-input form (a JSON array): the agent did not take the envelope.
    const answers: unknown = await res.json();
    for (const a of Array.isArray(answers) ? answers : [answers]) {
      yield parseLine(JSON.stringify(a));
    }
    return;
  }
  yield* lines(res.body);
}

/**
 * Sends `envelope` to the agent at `endpoint` and yields every line it answers, until it
 * closes the connection. Aborting `signal` closes the connection.
 *
 * @throws {Error} when the agent cannot be reached or answers something unexpected.
 * @example
 * ```ts ignore
 * import { exchange } from "./transport.ts";
 * const envelope = { stewardClient: 1, messages: [{ toNode: "ship1", method: "REQPing" }] };
 * for await (const line of exchange({ socket: "./tmp/steward.sock" }, envelope, AbortSignal.timeout(5000))) {
 *   console.log(line.status);
 * }
 * ```
 */
export async function* exchange(
  endpoint: Endpoint,
  envelope: unknown,
  signal: AbortSignal,
): AsyncGenerator<ClientLine> {
  const text = JSON.stringify(envelope) + "\n";
  if ("http" in endpoint) {
    yield* overHttp(endpoint.http, text, signal);
    return;
  }
  const body = encoder.encode(text);
  let conn: Deno.Conn;
  const where = "socket" in endpoint ? `socket ${endpoint.socket}` : `tcp ${endpoint.tcp}`;
  try {
    conn = "socket" in endpoint
      ? await Deno.connect({ transport: "unix", path: endpoint.socket })
      : await Deno.connect({ transport: "tcp", ...hostPort(endpoint.tcp) });
  } catch (err) {
    throw new Error(
      `Cannot reach the Steward agent at ${where}: ${(err as Error).message} ` +
        `(is the agent running?)`,
    );
  }
  yield* overConnection(conn, body, signal);
}

/**
 * The endpoint a playbook uses when it names none: `--socket=`, `--tcp=` or `--http=` in
 * `args`, else `STEWARD_SOCKET`, `STEWARD_TCP` or `STEWARD_HTTP` in the environment, else the
 * agent's default socket `./tmp/steward.sock`.
 *
 * @example
 * ```ts
 * import { endpointFrom } from "./transport.ts";
 * endpointFrom(["--tcp=127.0.0.1:8888"]); // { tcp: "127.0.0.1:8888" }
 * ```
 */
export function endpointFrom(args: readonly string[] = []): Endpoint {
  for (const arg of args) {
    const m = /^--?(socket|tcp|http)=(.+)$/.exec(arg);
    if (m) return { [m[1]]: m[2] } as Endpoint;
  }
  for (const kind of ["socket", "tcp", "http"] as const) {
    let value: string | undefined;
    try {
      value = Deno.env.get(`STEWARD_${kind.toUpperCase()}`);
    } catch {
      // No permission to read the environment: fall back to the default.
    }
    if (value) return { [kind]: value } as Endpoint;
  }
  return { socket: "./tmp/steward.sock" };
}
