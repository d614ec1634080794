/**
 * The agent's connection to the NATS broker: nkeys, TLS, and reconnection forever.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { connect, type NatsConnection, nkeyAuthenticator } from "npm:@nats-io/transport-node@3.4.0";

/** How to reach the broker. */
export interface BrokerOptions {
  /** One or more `host:port` or `nats://host:port`, separated by commas. */
  brokerAddress: string;
  /** Name the broker shows for this connection. */
  name: string;
  /** Seconds between attempts while the broker cannot be reached. */
  retryIntervalSeconds: number;
  /** File holding an NKEY user seed (`SU…`). */
  nkeySeedFile?: string;
  /** PEM file of the CA that signed the broker's certificate; enables TLS. */
  rootCAPath?: string;
  /** Client certificate and key for mutual TLS. */
  certFile?: string;
  keyFile?: string;
  /** Prefix of reply inboxes (default `_INBOX`); `_INBOX.<node>` lets the broker confine ACKs. */
  inboxPrefix?: string;
  /** Called with connection status changes (disconnect, reconnect, errors). */
  onStatus?: (status: { type: string; data?: unknown }) => void;
}

/**
 * Connects to the broker, waiting (and retrying) until it is reachable, and reconnecting
 * forever afterwards.
 *
 * @example
 * ```ts ignore
 * import { connectBroker } from "./nats.ts";
 * const nc = await connectBroker({ brokerAddress: "127.0.0.1:4222", name: "ship1", retryIntervalSeconds: 5 });
 * ```
 */
export async function connectBroker(options: BrokerOptions): Promise<NatsConnection> {
  const servers = options.brokerAddress.split(",").map((s) => s.trim()).filter((s) => s !== "");
  let authenticator;
  if (options.nkeySeedFile) {
    const seed = (await Deno.readTextFile(options.nkeySeedFile)).trim();
    authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  const tls = options.rootCAPath || options.certFile
    ? {
      ...(options.rootCAPath ? { caFile: options.rootCAPath } : {}),
      ...(options.certFile ? { certFile: options.certFile } : {}),
      ...(options.keyFile ? { keyFile: options.keyFile } : {}),
    }
    : undefined;
  const wait = Math.max(100, options.retryIntervalSeconds * 1000);
  const nc = await connect({
    servers,
    name: options.name,
    authenticator,
    tls,
    ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}),
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: wait,
    reconnectJitter: Math.min(500, wait / 4),
    pingInterval: 10_000,
    maxPingOut: 3,
    // Without this the client builds two Errors (stack traces included) for every request,
    // answered or not (4% of the CPU in a ping burst). Our errors only use the message.
    noAsyncTraces: true,
  });
  coalesceWrites(nc);
  if (options.onStatus) {
    (async () => {
      for await (const s of nc.status()) options.onStatus!({ type: s.type, data: s });
    })();
  }
  return nc;
}

/** The parts of nats.js's protocol handler that {@linkcode coalesceWrites} uses. */
interface ProtocolInternals {
  flushPending(): void;
  outbound?: { size(): number };
  pendingLimit?: number;
}

/**
 * Makes the client write what a whole task queued in one socket write. nats.js flushes its
 * outbound buffer in a microtask after the first command of a batch, so commands issued from
 * separate promise continuations (each ACK after its turn, each request after its signature)
 * cost one `socket.write` each through Deno's `node:net` layer: 16% of the main thread's time
 * in a 5000-ping burst. The flush now runs once the current task and its microtasks are done
 * (`setImmediate`), and at once when the buffer reaches the client's own inline-flush limit.
 * Order and content of the bytes are unchanged. Without the internals (another client
 * version) nothing changes.
 */
export function coalesceWrites(nc: NatsConnection): void {
  const protocol = (nc as unknown as { protocol?: ProtocolInternals }).protocol;
  if (!protocol || typeof protocol.flushPending !== "function") return;
  const flushNow = protocol.flushPending.bind(protocol);
  const limit = protocol.pendingLimit ?? 32 * 1024;
  let scheduled = false;
  const flushLater = () => {
    scheduled = false;
    flushNow();
  };
  protocol.flushPending = () => {
    if ((protocol.outbound?.size() ?? limit) >= limit) return flushNow();
    if (scheduled) return;
    scheduled = true;
    setImmediate(flushLater);
  };
}
