/**
 * Serves one unix socket or TCP connection of an agent's input.
 *
 * @module
 */
import type { IntakePort } from "./intake_port.ts";
import { isClientEnvelope } from "./client_protocol.ts";
import { serveClientSession } from "./client_session.ts";
import { type Answer, intakeValue, parseInput, rejectInput } from "./intake.ts";
import { JsonSplitter } from "./json_splitter.ts";

/** Timing and size limits of a socket or TCP connection. */
export interface ConnectionLimits {
  /** Close a connection that sends nothing, or stalls mid-message, for this long. */
  idleMs: number;
  /** After answering a complete message, wait this long for more before closing. */
  lingerMs: number;
  /** Largest incomplete message held, in bytes. */
  maxPendingBytes: number;
}

/** Options of {@linkcode serveConnection}. */
export interface ServeOptions {
  /** Closes the connection (the agent stops). */
  signal?: AbortSignal;
  /** Bytes already read from the connection (after its token line), taken in first. */
  received?: Uint8Array;
}

const encoder = new TextEncoder();
const TIMEOUT = Symbol("timeout");

/**
 * Serves one unix socket or TCP connection: every complete JSON value is taken in as it
 * arrives and answered with one JSON line per message. The connection closes when the client
 * closes its side, after `lingerMs` of quiet once something was answered, or after `idleMs`.
 * A client envelope (`{"stewardClient": 1, ...}`, see `client_protocol.ts`) instead holds
 * the connection for its session, which may hand back replies; the connection then closes.
 *
 * @example
 * ```ts ignore
 * import { serveConnection } from "./serve_connection.ts";
 * for await (const conn of listener) serveConnection(node, conn, "socket", limits, { signal });
 * ```
 */
export async function serveConnection(
  node: IntakePort,
  conn: Deno.Conn,
  input: string,
  limits: ConnectionLimits,
  options: ServeOptions = {},
): Promise<void> {
  const { signal } = options;
  const splitter = new JsonSplitter();
  // conn.read rather than conn.readable: the stream closes the whole connection at EOF, and a
  // client that half-closes (`nc -N`) must still get its answers.
  const buffer = new Uint8Array(64 * 1024);
  let answered = false;
  let open = true;
  const send = async (answers: readonly object[]): Promise<boolean> => {
    answered = true;
    if (!open) return false;
    try {
      const bytes = encoder.encode(answers.map((a) => JSON.stringify(a) + "\n").join(""));
      let written = 0;
      while (written < bytes.length) written += await conn.write(bytes.subarray(written));
    } catch {
      open = false; // The client stopped reading; its messages are still taken in.
    }
    return open;
  };
  let session = false;
  const handle = async (pieces: ReturnType<JsonSplitter["push"]>) => {
    for (const piece of pieces) {
      if (session) return; // One envelope per connection: what follows it is not read.
      if (piece.kind === "value") {
        const parsed = parseInput(piece.bytes);
        if ("error" in parsed) {
          await send([rejectInput(node, input, parsed.error)]);
        } else if (isClientEnvelope(parsed.value)) {
          session = true;
          await serveClientSession(node, parsed.value, input, send, signal);
        } else {
          const answers: Answer[] = (await intakeValue(node, parsed.value, input)).answers;
          await send(answers);
        }
      } else {
        const text = new TextDecoder().decode(piece.bytes.subarray(0, 80)).trim();
        const error = splitter.pending === 0 && piece.bytes.length > 0 && isTruncated(piece.bytes)
          ? `truncated JSON: the input ended before the message was complete`
          : `malformed JSON: expected an array or object, got ${JSON.stringify(text)}`;
        node.metrics.rejected.inc({ input });
        node.reportError(`input rejected (${input}): ${error}`);
        await send([{ status: "rejected", error }]);
      }
    }
  };
  const onAbort = () => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (options.received && options.received.length > 0) {
      await handle(splitter.push(options.received));
    }
    while (!signal?.aborted && !session) {
      const wait = splitter.pending === 0 && answered ? limits.lingerMs : limits.idleMs;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const result = await Promise.race([
        conn.read(buffer),
        new Promise<typeof TIMEOUT>((r) => timer = setTimeout(() => r(TIMEOUT), wait)),
      ]).finally(() => clearTimeout(timer));
      if (result === TIMEOUT) {
        if (splitter.pending > 0) {
          await handle(splitter.end());
        } else if (!answered) {
          await send([{ status: "rejected", error: `no message received within ${wait} ms` }]);
        }
        break;
      }
      if (result === null) {
        // A client that sends its envelope and half-closes (`nc -N`) still gets its session.
        await handle(splitter.end());
        break;
      }
      await handle(splitter.push(buffer.subarray(0, result)));
      if (session) break;
      if (splitter.pending > limits.maxPendingBytes) {
        const error = `message larger than the limit of ${limits.maxPendingBytes} bytes`;
        node.reportError(`input rejected (${input}): ${error}`);
        await send([{ status: "rejected", error }]);
        break;
      }
    }
  } catch {
    // A reset connection ends like a closed one.
  } finally {
    signal?.removeEventListener("abort", onAbort);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

function isTruncated(bytes: Uint8Array): boolean {
  const first = bytes.find((b) => b > 0x20);
  return first === 0x5b || first === 0x7b;
}
