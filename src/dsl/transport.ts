/**
 * Carries one client envelope to an agent and reads its answer lines back, over the unix
 * socket, TCP or HTTP.
 *
 * @module
 */
import { type ClientLine, clientLineSchema } from "../input/client_protocol.ts";

/**
 * The listener token a TCP or HTTP endpoint needs: the value, or the file holding it (the
 * agent keeps it in `<CONFIG_FOLDER>/listener_token`). Left out, `STEWARD_TOKEN` or the file
 * named by `STEWARD_TOKEN_FILE` is used.
 *
 * @example
 * ```ts
 * import type { ListenerCredential } from "../../mod.ts";
 * const fromFile: ListenerCredential = { tokenFile: "/etc/steward/listener_token" };
 * ```
 */
export interface ListenerCredential {
  /** The token itself (keep it out of command lines: prefer `tokenFile` or the environment). */
  readonly token?: string;
  /** A file holding the token, read at each call. */
  readonly tokenFile?: string;
}

/**
 * Where the local agent listens: its unix socket (no token: its 0600 mode is the credential),
 * its TCP listener or its HTTP listener (both need the listener token).
 *
 * @example
 * ```ts
 * import type { Endpoint } from "../../mod.ts";
 * const local: Endpoint = { socket: "./tmp/steward.sock" };
 * const remote: Endpoint = { http: "127.0.0.1:8090", tokenFile: "./etc/listener_token" };
 * ```
 */
export type Endpoint =
  | { readonly socket: string }
  | ({ readonly tcp: string } & ListenerCredential)
  | ({ readonly http: string } & ListenerCredential);

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // No permission to read the environment.
  }
}

/**
 * The listener token for `credential`: its `token`, else its `tokenFile`, else
 * `STEWARD_TOKEN`, else the file named by `STEWARD_TOKEN_FILE`.
 *
 * @throws {Error} when none is given, or the file cannot be read.
 * @example
 * ```ts
 * import { listenerTokenFor } from "./transport.ts";
 * await listenerTokenFor({ token: "abc" }, "tcp 127.0.0.1:8888"); // "abc"
 * ```
 */
export async function listenerTokenFor(
  credential: ListenerCredential,
  where: string,
): Promise<string> {
  if (credential.token) return credential.token;
  if (credential.tokenFile) return await readToken(credential.tokenFile, where);
  const value = env("STEWARD_TOKEN");
  if (value) return value;
  const file = env("STEWARD_TOKEN_FILE");
  if (file) return await readToken(file, where);
  throw new Error(
    `Cannot use the Steward agent at ${where} without its listener token: give { token } or ` +
      `{ tokenFile } to connect(), --tokenFile=, or set STEWARD_TOKEN or STEWARD_TOKEN_FILE ` +
      `(the agent keeps it in <CONFIG_FOLDER>/listener_token)`,
  );
}

async function readToken(file: string, where: string): Promise<string> {
  try {
    return (await Deno.readTextFile(file)).trim();
  } catch (err) {
    throw new Error(
      `Cannot read the listener token file ${file} for the agent at ${where}: ` +
        (err as Error).message,
    );
  }
}

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
  token: string,
  signal: AbortSignal,
): AsyncGenerator<ClientLine> {
  const url = /^https?:\/\//.test(address) ? address : `http://${address}/`;
  const res = await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
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
    const token = await listenerTokenFor(endpoint, `http ${endpoint.http}`);
    yield* overHttp(endpoint.http, text, token, signal);
    return;
  }
  const where = "socket" in endpoint ? `socket ${endpoint.socket}` : `tcp ${endpoint.tcp}`;
  // Over TCP the token line comes first: the agent reads nothing else before it.
  const body = encoder.encode(
    "socket" in endpoint
      ? text
      : JSON.stringify({ stewardToken: await listenerTokenFor(endpoint, where) }) + "\n" + text,
  );
  let conn: Deno.Conn;
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
 * agent's default socket `./tmp/steward.sock`. For TCP and HTTP, `--tokenFile=` in `args`
 * names the listener token's file (else `STEWARD_TOKEN` / `STEWARD_TOKEN_FILE` apply).
 *
 * @example
 * ```ts
 * import { endpointFrom } from "./transport.ts";
 * endpointFrom(["--tcp=127.0.0.1:8888"]); // { tcp: "127.0.0.1:8888" }
 * ```
 */
export function endpointFrom(args: readonly string[] = []): Endpoint {
  const tokenFile = args.map((a) => /^--?tokenFile=(.+)$/.exec(a)?.[1]).find((f) => f);
  const credential = (kind: string) => kind !== "socket" && tokenFile ? { tokenFile } : {};
  for (const arg of args) {
    const m = /^--?(socket|tcp|http)=(.+)$/.exec(arg);
    if (m) return { [m[1]]: m[2], ...credential(m[1]) } as Endpoint;
  }
  for (const kind of ["socket", "tcp", "http"] as const) {
    const value = env(`STEWARD_${kind.toUpperCase()}`);
    if (value) return { [kind]: value, ...credential(kind) } as Endpoint;
  }
  return { socket: "./tmp/steward.sock" };
}
