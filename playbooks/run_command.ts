/**
 * Runs a command on one node and saves its output on this node.
 *
 *   deno run -A playbooks/run_command.ts [--node=ship1] [--socket=./tmp/steward.sock]
 *
 * The output lands in `<data folder>/playbooks/<node>/uname.txt` and is printed here too.
 *
 * @module
 */
import { connect, to, toFile } from "../mod.ts";

const node = Deno.args.find((a) => a.startsWith("--node="))?.slice(7) ?? "ship1";

const steward = await connect();
const [result] = await steward.run(
  to(node).cli("uname -a; uptime").reply(toFile("playbooks/uname.txt")),
);
steward.close();

if (!result.ok) {
  console.error(`${node} failed: ${result.error}`);
  Deno.exit(1);
}
console.log(`${node} answered in ${result.timings.ms} ms (saved as playbooks/${node}/uname.txt):`);
console.log(result.output.trimEnd());
