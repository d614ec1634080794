/**
 * A process hosting several Steward nodes for the fan-out benchmark:
 * `deno run -A --unstable-kv node_host.ts <broker> <dir> <central> <name>...`. Prints `ready`
 * once every node is ready, and stops them all and exits when its standard input closes, so that
 * hosts never outlive the benchmark.
 *
 * @module
 */
import type { Node } from "../../src/node/node.ts";
import { startLocalNode } from "./local_nodes.ts";

const [broker, dir, central, ...names] = Deno.args;
const nodes: Node[] = [];
// One at a time: starting dozens of KV databases at once only adds contention.
// STEWARD_BENCH_HELLO: seconds between the hellos of each node (none when unset).
const helloSeconds = Number(Deno.env.get("STEWARD_BENCH_HELLO") ?? 0);
for (const name of names) {
  nodes.push(await startLocalNode(name, broker, dir, central, { helloSeconds }));
}
console.log("ready");
// Wait for EOF on stdin: the benchmark closes it (or dies) when it is done.
const buf = new Uint8Array(64);
while ((await Deno.stdin.read(buf)) !== null) { /* keep waiting */ }
await Promise.all(nodes.map((n) => n.stop()));
Deno.exit(0);
