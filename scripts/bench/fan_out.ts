/**
 * Fan-out: one message with `toNodes` naming N nodes, timed until every reply is handled at
 * central.
 *
 * @module
 */
import process from "node:process";
import type { Node } from "../../src/node/node.ts";
import { ReplyWaiter } from "./local_nodes.ts";

/** Timings of repeated fan-outs to the same nodes. */
export interface FanOutResult {
  nodes: number;
  /** The first fan-out, which also starts a publisher per node. */
  firstSeconds: number;
  /** Every later fan-out. */
  seconds: number[];
  /** The CPU seconds of this process (central's, and whatever else runs in it) per later fan-out. */
  cpuSeconds: number[];
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
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const replies = await waiter.send({ ...message, toNodes: targets });
    times.push((performance.now() - t0) / 1000);
    const used = process.cpuUsage(cpu0);
    cpu.push((used.user + used.system) / 1e6);
    const failed = replies.filter((r) => r.ok === false);
    if (failed.length > 0) throw new Error(`fan-out: ${failed.length} failed: ${failed[0].error}`);
  }
  return {
    nodes: targets.length,
    firstSeconds: times[0],
    seconds: times.slice(1),
    cpuSeconds: cpu.slice(1),
  };
}
