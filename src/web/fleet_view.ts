/**
 * The fleet as the web page shows it: one row per node central knows of (by its key, its hellos
 * or its errors), built from facts read elsewhere so that it can be tested without a node.
 *
 * @module
 */
import type { KeyRecord, PendingKey } from "../security/key_registry.ts";

/** What central knows of a node's key: `central` is its own, `none` a node with no key record. */
export type FleetKeyState = "central" | "approved" | "pending" | "revoked" | "none";

/** A key waiting for approval, named by its fingerprint. */
export interface FleetPendingKey {
  fingerprint: string;
  /** When the node first announced it (ms since the epoch). */
  since: number;
}

/** One node as the page shows it. */
export interface FleetRow {
  node: string;
  key: FleetKeyState;
  /** Keys waiting for approval (a new node, or a revoked one that announced a new key). */
  pending: FleetPendingKey[];
  /** Last hello (ms since the epoch), or null when none was heard. */
  lastHello: number | null;
  /** Seconds since the last hello, by central's clock, or null. */
  helloAgeSeconds: number | null;
  /** Messages central holds for this node, not yet ACKed. */
  inflight: number;
  /** The last line of the node's error log on central, or null. */
  lastError: string | null;
}

/** The facts {@linkcode fleetView} joins. */
export interface FleetFacts {
  /** The central node's name (its own row says `central`). */
  central: string;
  /** Central's key registry: approved and revoked records, then pending keys. */
  keys: readonly (KeyRecord | PendingKey)[];
  /** Last hello of each node (ms since the epoch). */
  hellos: Readonly<Record<string, number>>;
  /** Messages in flight, counted by target node. */
  inflightByNode: Readonly<Record<string, number>>;
  /** Last error line of each node that has an error log. */
  lastErrors: Readonly<Record<string, string>>;
  /** Central's clock (ms since the epoch). */
  now: number;
}

/** The fleet view: central's clock, and the nodes in name order. */
export interface FleetView {
  now: number;
  central: string;
  nodes: FleetRow[];
}

/**
 * Joins what central knows of each node into one row per node, sorted by name.
 *
 * @example
 * ```ts
 * import { fleetView } from "./fleet_view.ts";
 * const view = fleetView({
 *   central: "central",
 *   keys: [{ node: "ship1", publicKey: "k", state: "approved", updatedAt: 0 }],
 *   hellos: { ship1: 10_000 },
 *   inflightByNode: { ship1: 2 },
 *   lastErrors: {},
 *   now: 15_000,
 * });
 * console.assert(view.nodes[1].helloAgeSeconds === 5 && view.nodes[1].inflight === 2);
 * ```
 */
export function fleetView(facts: FleetFacts): FleetView {
  const rows = new Map<string, FleetRow>();
  const row = (node: string): FleetRow => {
    let r = rows.get(node);
    if (!r) {
      r = {
        node,
        key: node === facts.central ? "central" : "none",
        pending: [],
        lastHello: null,
        helloAgeSeconds: null,
        inflight: 0,
        lastError: null,
      };
      rows.set(node, r);
    }
    return r;
  };
  row(facts.central);
  for (const k of facts.keys) {
    const r = row(k.node);
    if (k.state === "pending") {
      r.pending.push({ fingerprint: (k as PendingKey).fingerprint, since: k.updatedAt });
      if (r.key === "none") r.key = "pending";
    } else if (r.key !== "central") {
      r.key = k.state;
    }
  }
  for (const [node, at] of Object.entries(facts.hellos)) {
    const r = row(node);
    r.lastHello = at;
    r.helloAgeSeconds = Math.max(0, Math.round((facts.now - at) / 1000));
  }
  for (const [node, n] of Object.entries(facts.inflightByNode)) row(node).inflight = n;
  for (const [node, line] of Object.entries(facts.lastErrors)) row(node).lastError = line;
  for (const r of rows.values()) r.pending.sort((a, b) => a.since - b.since);
  const nodes = [...rows.values()].sort((a, b) => a.node < b.node ? -1 : a.node > b.node ? 1 : 0);
  return { now: facts.now, central: facts.central, nodes };
}
