/**
 * The `peer` label of the metrics of a message received.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { Message } from "../message/schema.ts";
import type { Security } from "../security/security.ts";

/** What {@linkcode peerLabel} knows of the senders a node trusts. */
export interface PeerTrust {
  /** -requireSignatures and the central node's name. */
  config: Pick<Config, "requireSignatures" | "centralNodeName">;
  /** The trusted keys. */
  security: Pick<Security, "keyOf">;
}

/**
 * The `peer` label of a message received: its sender once verified. With
 * -requireSignatures=false a sender with no trusted key passes unverified, and its made-up
 * name must not become a metric series: such senders share one label.
 *
 * @example
 * ```ts
 * import { peerLabel } from "./peer_label.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * const trust = {
 *   config: { requireSignatures: false, centralNodeName: "central" },
 *   security: { keyOf: () => undefined },
 * };
 * console.assert(peerLabel(testMessage({ fromNode: "made-up" }), trust) === "unverified");
 * ```
 */
export function peerLabel(m: Message, trust: PeerTrust): string {
  const { config, security } = trust;
  if (config.requireSignatures || security.keyOf(m.fromNode)) return m.fromNode;
  return m.fromNode === config.centralNodeName ? m.fromNode : "unverified";
}
