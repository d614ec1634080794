/**
 * Uses one node's answer to decide what to tell another: asks ship1 how full its root file
 * system is, then tells ship2 to take over (above the limit) or to stand by. ship2's answer
 * is appended to `<data folder>/playbooks/ship2/decisions.log` on this node.
 *
 *   deno run -A playbooks/two_step.ts [--limit=90] [--socket=./tmp/steward.sock]
 *
 * @module
 */
import { connect, to, toFileAppend } from "../mod.ts";

const limit = Number(Deno.args.find((a) => a.startsWith("--limit="))?.slice(8) ?? 90);

const steward = await connect();
const [disk] = await steward.run(to("ship1").cli("df -P / | tail -1 | awk '{print $5}'"));
if (!disk.ok) {
  console.error(`ship1 did not answer: ${disk.error}`);
  Deno.exit(1);
}
const used = parseInt(disk.output, 10);
const decision = used > limit
  ? `take over: ship1 root fs is ${used}% full (limit ${limit}%)`
  : `stand by: ship1 root fs is ${used}% full (limit ${limit}%)`;

const [told] = await steward.run(
  to("ship2").cli(["echo", decision]).reply(toFileAppend("playbooks/decisions.log")),
);
steward.close();
console.log(told.ok ? `ship2 says: ${told.output.trim()}` : `ship2 failed: ${told.error}`);
if (!told.ok) Deno.exit(1);
