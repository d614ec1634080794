/**
 * Fan-out: one message with `toNodes` naming N nodes, timed until every reply is handled at
 * central.
 *
 * @module
 */
import type { Node } from "../../src/node/node.ts";
import { ReplyWaiter } from "./local_nodes.ts";

/** Timings of repeated fan-outs to the same nodes. */
export interface FanOutResult {
  nodes: number;
  /** The first fan-out, which also starts a publisher per node. */
  firstSeconds: number;
  /** Every later fan-out. */
  seconds: number[];
}

/**
 * Sends one `REQPing` (or `message`) to every node in `targets` from `central`, `runs` times in
 * a row.
 *
 * @example
 * ```ts ignore
 * import { fanOut } from "./fan_out.ts";
 * const r = await fanOut(central, ["ship1", "ship2"], 3);
 * ```
 */
export async function fanOut(
  central: Node,
  targets: string[],
  runs: number,
  message: Record<string, unknown> = { method: "REQPing" },
): Promise<FanOutResult> {
  const waiter = new ReplyWaiter(central);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const replies = await waiter.send({ ...message, toNodes: targets });
    times.push((performance.now() - t0) / 1000);
    const failed = replies.filter((r) => r.ok === false);
    if (failed.length > 0) throw new Error(`fan-out: ${failed.length} failed: ${failed[0].error}`);
  }
  return { nodes: targets.length, firstSeconds: times[0], seconds: times.slice(1) };
}
