/**
 * What the signatures of issue 7 cost per message on this machine, measured with the agent's own
 * functions, and the bounds they put on the throughput and latency targets.
 *
 * Every Steward message is signed by its sender and verified by its receiver before anything is
 * ACKed or run; so is every ACK. A round trip (ping, its ACK, pong, its ACK) is four NATS
 * messages where raw request/reply has two. The bounds below say how close to raw NATS Steward
 * could come if everything else it does (parsing, KV, files, audit) were free: the gap between
 * a measured figure and its bound is what remains to optimise, the gap between the bound and the
 * target is what the protocol itself costs.
 *
 * @module
 */
import { testMessage } from "../../test/message_fixture.ts";
import { loadOrCreateNodeKeys, type NodeKeys } from "../../src/security/node_keys.ts";
import { signedJson, verifyMessage } from "../../src/security/signature.ts";
import { median } from "./stats.ts";

/** Microseconds of CPU per message, each the median of several timed runs. */
export interface SignatureCost {
  /** Canonical JSON and Ed25519 signature of a ping as sent (`signedJson`). */
  signUs: number;
  /** Parsing the signature and checking it against the sender's key (`verifyMessage`). */
  verifyUs: number;
  /** The same for an ACK (`{ id, ok }`, signed like a message, shorter). */
  ackSignUs: number;
  ackVerifyUs: number;
}

/**
 * Times signing and verifying a ping and its ACK with a fresh key pair, `count` times each per
 * run, after a warm-up.
 *
 * @example
 * ```ts ignore
 * import { signatureCost } from "./signature_cost.ts";
 * const { signUs, verifyUs } = await signatureCost(await Deno.makeTempDir(), 2000);
 * ```
 */
export async function signatureCost(folder: string, count: number): Promise<SignatureCost> {
  const keys = await loadOrCreateNodeKeys(folder);
  const id = crypto.randomUUID();
  const ping = await timeSignature(testMessage({ id, createdAt: Date.now() }), keys, count);
  const ack = await timeSignature({ id, ok: true }, keys, count);
  return {
    signUs: ping.signUs,
    verifyUs: ping.verifyUs,
    ackSignUs: ack.signUs,
    ackVerifyUs: ack.verifyUs,
  };
}

async function timeSignature(
  message: object,
  keys: NodeKeys,
  count: number,
): Promise<{ signUs: number; verifyUs: number }> {
  const wire = JSON.parse(await signedJson(message, keys)) as Record<string, unknown>;
  const signs: number[] = [];
  const verifies: number[] = [];
  for (let run = 0; run < 6; run++) {
    let t = performance.now();
    for (let i = 0; i < count; i++) await signedJson(message, keys);
    if (run > 0) signs.push((performance.now() - t) * 1000 / count); // Run 0 warms up.
    t = performance.now();
    for (let i = 0; i < count; i++) {
      if (!await verifyMessage(wire, keys.publicKey)) throw new Error("own signature refused");
    }
    if (run > 0) verifies.push((performance.now() - t) * 1000 / count);
  }
  return { signUs: median(signs), verifyUs: median(verifies) };
}

/** The bounds on `ratio_rps` and on the sequential p50 ratio that the signatures set. */
export interface SignatureBounds {
  /** Best `ratio_rps` with every message signed and verified, ACKs unsigned (issue 7's minimum). */
  ratioRpsBound: number;
  /** Best `ratio_rps` with ACKs signed and verified too, as Steward does. */
  ratioRpsBoundSignedAcks: number;
  /** Lowest sequential p50 / raw p50: raw transport plus signing and verifying ping and pong. */
  p50RatioFloor: number;
}

/**
 * The bounds, for one process hosting both ends (as the `e2e` section and the raw baseline do):
 * a Steward round trip costs at least two raw round trips of CPU (four messages instead of two)
 * plus the signatures; its latency at least one raw round trip (ping out, pong back) plus the
 * ping's and the pong's signature and verification.
 *
 * @example
 * ```ts
 * import { signatureBounds } from "./signature_cost.ts";
 * const cost = { signUs: 25, verifyUs: 45, ackSignUs: 22, ackVerifyUs: 42 };
 * const b = signatureBounds(cost, 16_000, 0.22);
 * console.assert(b.ratioRpsBound < 0.3);
 * ```
 */
export function signatureBounds(
  cost: SignatureCost,
  rawRps: number,
  rawP50Ms: number,
): SignatureBounds {
  const rawRoundTripMs = 1000 / rawRps;
  const perMessageMs = (cost.signUs + cost.verifyUs) / 1000;
  const perAckMs = (cost.ackSignUs + cost.ackVerifyUs) / 1000;
  const messagesMs = 2 * rawRoundTripMs + 2 * perMessageMs;
  return {
    ratioRpsBound: rawRoundTripMs / messagesMs,
    ratioRpsBoundSignedAcks: rawRoundTripMs / (messagesMs + 2 * perAckMs),
    p50RatioFloor: (rawP50Ms + 2 * perMessageMs) / rawP50Ms,
  };
}
