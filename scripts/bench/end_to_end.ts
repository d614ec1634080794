/**
 * Steward end to end inside one process: central sends to a node and waits until the reply is
 * handled at central (the pong line appended to its reply file), with persistence on.
 *
 * @module
 */
import type { Node } from "../../src/node/node.ts";
import { ReplyWaiter } from "./local_nodes.ts";
import { type RunStats, summarize } from "./stats.ts";

/** How much traffic to send for one method. */
export interface EndToEndOptions {
  /** The input message (without `toNode`), e.g. `{ method: "REQPing" }`. */
  message: Record<string, unknown>;
  sequential: number;
  /** Messages submitted together (one atomic commit, as from one socket array). */
  burst: number;
  /** Round trips before measuring, not counted. */
  warmup?: number;
}

/**
 * Measures round trips from `central` to `target`: one at a time, then a burst all at once.
 *
 * @example
 * ```ts ignore
 * import { endToEnd } from "./end_to_end.ts";
 * const r = await endToEnd(central, "ship1", { message: { method: "REQPing" }, sequential: 500, burst: 2000 });
 * ```
 */
export async function endToEnd(
  central: Node,
  target: string,
  options: EndToEndOptions,
): Promise<{ sequential: RunStats; burst: RunStats }> {
  const waiter = new ReplyWaiter(central);
  const input = { ...options.message, toNode: target };
  for (let i = 0; i < (options.warmup ?? 50); i++) await waiter.send(input);
  const seq: number[] = [];
  let t0 = performance.now();
  for (let i = 0; i < options.sequential; i++) {
    const t = performance.now();
    const [reply] = await waiter.send(input);
    if (reply.ok === false) throw new Error(`${options.message.method} failed: ${reply.error}`);
    seq.push(performance.now() - t);
  }
  const sequential = summarize(seq, (performance.now() - t0) / 1000);
  t0 = performance.now();
  const all = await waiter.burst(Array.from({ length: options.burst }, () => input));
  const burst = summarize(all, (performance.now() - t0) / 1000);
  return { sequential, burst };
}
