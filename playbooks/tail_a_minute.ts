/**
 * Follows a log file on a node for a minute and prints each new line as it arrives; the
 * lines are also appended to `<data folder>/playbooks/<node>/tail.log` on this node.
 *
 *   deno run -A playbooks/tail_a_minute.ts [--node=ship1] [--file=/var/log/syslog] [--seconds=60]
 *
 * @module
 */
import { connect, to, toFileAppend } from "../mod.ts";

const arg = (name: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const node = arg("node") ?? "ship1";
const file = arg("file") ?? "/var/log/syslog";
const seconds = Number(arg("seconds") ?? 60);

const steward = await connect();
console.log(`following ${file} on ${node} for ${seconds} s`);
let count = 0;
for await (
  const { line } of steward.stream(
    to(node).tail(file).for(seconds).reply(toFileAppend("playbooks/tail.log")),
  )
) {
  count++;
  console.log(`${node}: ${line}`);
}
steward.close();
console.log(`${count} lines`);
