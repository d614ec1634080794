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
  /** Told when the broker cannot be reached, is reached, is lost and is reached again. */
  onState?: (state: BrokerState) => void;
}

/** A change of the connection's state, as an operator reads it. */
export type BrokerState =
  | { state: "unreachable"; servers: string; error: string; retryMs: number }
  | { state: "connected" | "disconnected" | "reconnected"; server: string };

/** `host:port` as the client names it: `nats://host:port`. */
function serverUrl(server: string): string {
  return /^[a-z]+:\/\//.test(server) ? server : `nats://${server}`;
}

/** What a failed connect says, in a few words ("connection refused (connect ECONNREFUSED …)"). */
function connectError(err: unknown): string {
  const e = err as Error & { cause?: Error };
  const cause = e.cause?.message && e.cause.message !== e.message ? ` (${e.cause.message})` : "";
  return `${e.message ?? String(err)}${cause}`;
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
  const onState = options.onState ?? (() => {});
  // Our own first-connect loop, not the client's (waitOnFirstConnect), which says nothing
  // while it fails: the operator is told why the broker cannot be reached.
  let said = "";
  let saidAt = 0;
  let nc: NatsConnection;
  for (;;) {
    try {
      nc = await connect({
        servers,
        name: options.name,
        authenticator,
        tls,
        ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}),
        maxReconnectAttempts: -1,
        reconnectTimeWait: wait,
        reconnectJitter: Math.min(500, wait / 4),
        pingInterval: 10_000,
        maxPingOut: 3,
        // Without this the client builds two Errors (stack traces included) for every request,
        // answered or not (4% of the CPU in a ping burst). Our errors only use the message.
        noAsyncTraces: true,
      });
      break;
    } catch (err) {
      const error = connectError(err);
      // Said when it changes, and once a minute while it lasts.
      if (error !== said || Date.now() - saidAt >= 60_000) {
        onState({
          state: "unreachable",
          servers: servers.map(serverUrl).join(", "),
          error,
          retryMs: wait,
        });
        said = error;
        saidAt = Date.now();
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  coalesceWrites(nc);
  onState({ state: "connected", server: serverUrl(nc.getServer()) });
  (async () => {
    for await (const s of nc.status()) {
      options.onStatus?.({ type: s.type, data: s });
      if (s.type === "disconnect" || s.type === "reconnect") {
        const server = serverUrl((s as { server?: string }).server ?? nc.getServer());
        onState({ state: s.type === "disconnect" ? "disconnected" : "reconnected", server });
      }
    }
  })();
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
