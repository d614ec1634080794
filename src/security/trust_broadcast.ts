/**
 * The trusted set, broadcast: central signs the set once and publishes it on one subject every
 * node listens to, and the broker fans it out. Sent as one `REQTrustedKeys` message per node, a
 * distribution cost central N signatures, N stored messages and N replies, each of the whole set
 * (N keys): O(N²) bytes through central's database for every approval burst. A broadcast has no
 * ACK: a node that missed it (offline, or slow) says so in its next hello (`trustVersion`) and
 * central sends it the set alone, the reliable way.
 *
 * A broadcast is hostile until verified: signed by central's key (pinned, or the one the node
 * already trusts), within the replay window, named for this fleet's central; an older or equal
 * version changes nothing. At most one broadcast is worked on and one waits, whatever arrives.
 *
 * @module
 */
import type { NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import { abortable } from "../node/abortable.ts";
import type { NodeKeys } from "./node_keys.ts";
import type { TrustedSet } from "./key_registry.ts";
import { signedJson, verifyMessage } from "./signature.ts";

/**
 * The subject of the trusted-set broadcasts of the fleet whose central is `central`. Node names
 * never start with `_`, so no node's own subjects can collide with it.
 *
 * @example
 * ```ts
 * import { trustBroadcastSubject } from "./trust_broadcast.ts";
 * trustBroadcastSubject("central"); // "_STEWARD.central.trustedKeys"
 * ```
 */
export function trustBroadcastSubject(central: string): string {
  return `_STEWARD.${central}.trustedKeys`;
}

/**
 * Central: the wire text of a broadcast of `set`, signed now by central's `keys`.
 *
 * @example
 * ```ts ignore
 * import { trustBroadcastText } from "./trust_broadcast.ts";
 * const text = await trustBroadcastText(set, "central", keys);
 * ```
 */
export function trustBroadcastText(
  set: TrustedSet,
  central: string,
  keys: NodeKeys,
): Promise<string> {
  return signedJson({ kind: "trustedSet", fromNode: central, data: JSON.stringify(set) }, keys);
}

/**
 * Central: signs `set` and publishes it to every node on `nc`; false, having sent nothing, when
 * the connection is closed or the set is bigger than one message may be (`maxBytes`, and the
 * broker's max payload): it is then to be sent to each node alone, in chunks.
 *
 * @example
 * ```ts ignore
 * import { publishTrustBroadcast } from "./trust_broadcast.ts";
 * if (!(await publishTrustBroadcast(nc, set, "central", keys, 8 << 20))) sendToEach(set);
 * ```
 */
export async function publishTrustBroadcast(
  nc: NatsConnection,
  set: TrustedSet,
  central: string,
  keys: NodeKeys,
  maxBytes: number,
): Promise<boolean> {
  if (nc.isClosed()) return false;
  const text = new TextEncoder().encode(await trustBroadcastText(set, central, keys));
  if (text.length > Math.min(maxBytes, nc.info?.max_payload ?? Infinity)) return false;
  try {
    nc.publish(trustBroadcastSubject(central), text);
    return true;
  } catch {
    return false; // Closed meanwhile, or refused: sent the reliable way instead.
  }
}

/** What {@linkcode readTrustBroadcast} checks a broadcast against. */
export interface TrustBroadcastCheck {
  /** Central's name: a broadcast must say it comes from it. */
  central: string;
  /** Central's key as this node trusts it (pinned, or from the set in force); none: refused. */
  centralKey: string | undefined;
  /** Largest broadcast taken, in bytes. */
  maxBytes: number;
  /** Why a signed object is outside the replay window, if it is. */
  outsideWindow(raw: Record<string, unknown>): string | undefined;
}

/**
 * Node: the set's data (`REQTrustedKeys` data, for `Security.acceptTrustedSet`) carried by a
 * broadcast, or why the broadcast is refused. Nothing is parsed beyond the envelope before the
 * signature is verified.
 *
 * @example
 * ```ts ignore
 * import { readTrustBroadcast } from "./trust_broadcast.ts";
 * const read = await readTrustBroadcast(bytes, check);
 * if ("data" in read) await security.acceptTrustedSet(read.data);
 * ```
 */
export async function readTrustBroadcast(
  bytes: Uint8Array,
  check: TrustBroadcastCheck,
): Promise<{ data: string } | { refused: string }> {
  if (bytes.length > check.maxBytes) {
    return { refused: `${bytes.length} bytes, over the limit of ${check.maxBytes}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return { refused: "not JSON text" };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { refused: "not a JSON object" };
  }
  const fields = raw as Record<string, unknown>;
  if (fields.kind !== "trustedSet" || fields.fromNode !== check.central) {
    return { refused: `not a trusted set from ${check.central}` };
  }
  if (!check.centralKey) return { refused: `this node does not know ${check.central}'s key yet` };
  if (!(await verifyMessage(fields, check.centralKey))) {
    return { refused: `not signed by ${check.central}'s key` };
  }
  const late = check.outsideWindow(fields);
  if (late) return { refused: late };
  if (typeof fields.data !== "string") return { refused: "no set in its data" };
  return { data: fields.data };
}

/** What {@linkcode listenToTrustBroadcasts} uses. */
export interface TrustListenerDeps {
  /** The fleet's central: whose broadcasts are listened to. */
  central: string;
  /** The broker connection, once reached. */
  connection(): Promise<NatsConnection>;
  /** Verifies a broadcast and puts its set in force (newer only); resolves with why not. */
  accept(bytes: Uint8Array): Promise<string | undefined>;
  /** Says why a broadcast was refused (rate-limited here: at most one line a minute). */
  refused(reason: string): void;
}

/** Least time between two lines about refused broadcasts: a flood costs one line a minute. */
const REFUSAL_LOG_MS = 60_000;

/**
 * Node: listens to central's broadcasts until `signal` aborts. While one is verified and
 * stored, only the newest arrival waits: the next set replaces every older one.
 *
 * @example
 * ```ts ignore
 * import { listenToTrustBroadcasts } from "./trust_broadcast.ts";
 * await listenToTrustBroadcasts(deps, new AbortController().signal);
 * ```
 */
export async function listenToTrustBroadcasts(
  deps: TrustListenerDeps,
  signal: AbortSignal,
): Promise<void> {
  // A node stopped before it ever reached the broker must not wait for it.
  const nc = await abortable(deps.connection(), signal);
  let waiting: Uint8Array | undefined;
  let working: Promise<void> | undefined;
  let saidAt = -Infinity;
  let unsaid = 0;
  const refused = (reason: string) => {
    const now = Date.now();
    if (now - saidAt < REFUSAL_LOG_MS) return void unsaid++;
    const more = unsaid > 0 ? ` (and ${unsaid} more since the last such line)` : "";
    deps.refused(`trusted-set broadcast refused: ${reason}${more}`);
    saidAt = now;
    unsaid = 0;
  };
  const work = async () => {
    while (waiting) {
      const bytes = waiting;
      waiting = undefined;
      const why = await deps.accept(bytes).catch((err) => `${err}`);
      if (why) refused(why);
    }
    working = undefined;
  };
  const sub = nc.subscribe(trustBroadcastSubject(deps.central), {
    callback: (err, msg) => {
      if (err) return;
      waiting = msg.data;
      working ??= work();
    },
  });
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  sub.unsubscribe();
  await working;
}
