/**
 * Runs the same command on several nodes and prints a summary: who answered, how fast, and
 * their root file system usage. Exits with 1 when a node failed.
 *
 *   deno run -A playbooks/fleet_summary.ts [--nodes=ship1,ship2] [--socket=./tmp/steward.sock]
 *
 * @module
 */
import { connect, toFileAppend, toNodes } from "../mod.ts";

const nodes = (Deno.args.find((a) => a.startsWith("--nodes="))?.slice(8) ?? "ship1,ship2")
  .split(",");

const steward = await connect();
const results = await steward.run(
  toNodes(nodes)
    .cli("df -P / | tail -1 | awk '{print $5}'")
    .reply(toFileAppend("playbooks/disk.log"))
    .timeout({ ack: 5, retries: 2, method: 10 }),
);
steward.close();

console.log("node        ok    ms      root fs used");
for (const r of results) {
  const used = r.ok ? r.output.trim() : `ERROR ${r.error}`;
  console.log(
    `${r.node.padEnd(12)}${String(r.ok).padEnd(6)}${String(r.timings.ms).padEnd(8)}${used}`,
  );
}
const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} of ${results.length} nodes answered`);
if (failed > 0) Deno.exit(1);
