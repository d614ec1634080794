/**
 * The baseline: plain NATS request/reply with the client library Steward uses, one connection
 * answering and one asking, in the benchmark's own process.
 *
 * @module
 */
import { connect } from "npm:@nats-io/transport-node@3.4.0";
import { type RunStats, summarize } from "./stats.ts";

/** How much raw traffic to measure. */
export interface RawOptions {
  /** Round trips one after the other. */
  sequential: number;
  /** Round trips started together, all in flight at once. */
  burst: number;
  /** Size of each request and answer, in bytes (about a Steward ping on the wire). */
  payloadBytes?: number;
}

/**
 * Measures request/reply on `address`: sequential round trips, then a burst with every
 * request in flight at once.
 *
 * @example
 * ```ts ignore
 * import { rawRequestReply } from "./raw_nats.ts";
 * const { sequential, burst } = await rawRequestReply("127.0.0.1:4222", { sequential: 1000, burst: 5000 });
 * ```
 */
export async function rawRequestReply(
  address: string,
  options: RawOptions,
): Promise<{ sequential: RunStats; burst: RunStats }> {
  // The same connection options as the agent's (src/transport/nats.ts) where they matter.
  const shared = { servers: address, noAsyncTraces: true };
  const responder = await connect({ ...shared, name: "bench-responder" });
  const requester = await connect({ ...shared, name: "bench-requester" });
  try {
    const payload = new Uint8Array(options.payloadBytes ?? 600).fill(0x61);
    responder.subscribe("bench.echo", {
      callback: (_err, msg) => {
        msg.respond(msg.data);
      },
    });
    await responder.flush();
    const once = async (): Promise<number> => {
      const t = performance.now();
      await requester.request("bench.echo", payload, { timeout: 10_000 });
      return performance.now() - t;
    };
    for (let i = 0; i < 200; i++) await once(); // Warm up the JIT and the connections.
    const seq: number[] = [];
    let t0 = performance.now();
    for (let i = 0; i < options.sequential; i++) seq.push(await once());
    const sequential = summarize(seq, (performance.now() - t0) / 1000);
    t0 = performance.now();
    const all = await Promise.all(Array.from({ length: options.burst }, once));
    const burst = summarize(all, (performance.now() - t0) / 1000);
    return { sequential, burst };
  } finally {
    await requester.close();
    await responder.close();
  }
}
