/**
 * `deno task demo`: starts a nats-server, a central and two nodes (ship1, ship2) as real agent
 * processes, sends the seed's example messages into central's unix socket, and shows what came
 * back. `--keep` leaves everything running afterwards (Ctrl-C stops it).
 *
 * @module
 */
import { join, relative } from "node:path";
import { delay, Fleet, readOr, waitFor } from "../test/harness.ts";
import { FLEET_KEYS_ENV } from "../test/pki.ts";

const keep = Deno.args.includes("--keep");
const say = (s: string) => console.log(`\x1b[1m${s}\x1b[0m`);

// Signatures are required: the fleet is provisioned as an operator pre-seeds one (each node's
// public key in central's approved-keys folder, central's key pinned on each node).
const keys = await Deno.makeTempDir({ prefix: "steward-demo-keys-" });
Deno.env.set(FLEET_KEYS_ENV, keys);
say("Starting nats-server, central, ship1 and ship2 (keys pre-seeded, signatures required) …");
const fleet = await Fleet.start(["central", "ship1", "ship2"], {
  flags: { ship1: ["-startPubREQHello=2"], ship2: ["-startPubREQHello=2"] },
});
const central = fleet.get("central");
console.log(`broker ${fleet.broker.address}; central's folder ${central.dir}`);

const messages = [
  {
    // The seed's first example (with `ls` where the seed has `tree`, which may be missing).
    directory: "/var/cli/command_result/",
    fileName: "some-file-name.result",
    toNode: "ship1",
    methodArgs: ["bash", "-c", "sleep 1 & echo \"$(hostname): $(ls / | head -5 | tr '\\n' ' ')\""],
    method: "REQCliCommand",
    replyMethod: "REQToFileAppend",
    ACKTimeout: 5,
    retries: 3,
    replyACKTimeout: 5,
    replyRetries: 3,
    methodTimeout: 10,
  },
  {
    // One message, several nodes.
    directory: "uptime",
    fileName: "uptime.txt",
    toNodes: ["ship1", "ship2"],
    method: "REQCliCommand",
    methodArgs: ["bash", "-c", "uptime"],
    replyMethod: "REQToFile",
  },
  { toNodes: ["ship1", "ship2"], method: "REQPing" },
  {
    // Reply chaining: ship2's output is handed to a command run back on central.
    directory: "cli_command_test",
    fileName: "cli_command.result",
    toNode: "ship2",
    method: "REQCliCommand",
    methodArgs: ["bash", "-c", "echo disk usage on ship2: $(df -h / | tail -1 | awk '{print $5}')"],
    replyMethod: "REQCliCommand",
    replyMethodArgs: ["bash", "-c", 'echo "central received: {{STEWARD_DATA}}"'],
    replyMethodTimeout: 10,
    methodTimeout: 10,
  },
  {
    toNode: "ship1",
    method: "REQCliCommand",
    methodArgs: ["echo", "printed on central's console"],
    replyMethod: "REQToConsole",
  },
  // A node that does not exist: ends in central's error log after its retries.
  { toNode: "ship3", method: "REQPing", ACKTimeout: 1, retries: 1 },
  // Rejected at the door.
  { toNode: "ship1", method: "REQPing", directory: "../../etc" },
];

say("\nSending the seed's example messages into central's socket (as `nc -U` would) …");
for (const answer of await central.send(messages)) console.log(JSON.stringify(answer));

say("\nWaiting for the replies …");
const expected = [
  central.file("var/cli/command_result", "ship1", "some-file-name.result"),
  central.file("uptime", "ship1", "uptime.txt"),
  central.file("uptime", "ship2", "uptime.txt"),
  central.file("ping", "ship1", "pong.log"),
  central.file("ping", "ship2", "pong.log"),
  central.file("cli_command_test", "central", "cli_command.result"),
  central.file("hello-messages", "ship1", "hello.log"),
];
await waitFor(
  async () => {
    const texts = await Promise.all(expected.map(readOr));
    return texts.every((t) => t !== "") && (await central.errorLog("central")).includes("ship3");
  },
  20_000,
  "every reply",
).catch((err) => console.error(String(err)));

say(`\nFiles in central's data folder (${central.dataFolder}):`);
for await (const path of walk(central.dataFolder)) {
  console.log(`\x1b[36m── ${relative(central.dataFolder, path)}\x1b[0m`);
  console.log((await readOr(path)).trimEnd());
}
say("\nCentral's console (REQToConsole):");
console.log(
  central.output.split("\n").filter((l) => l.startsWith("[ship1]")).join("\n"),
);

if (keep) {
  say(`\nStill running. Send more with: nc -U ${central.socket} < msg.json   (Ctrl-C stops)`);
  await new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", () => resolve()));
}
await delay(100);
await fleet.stop();
await Deno.remove(keys, { recursive: true });
say("\nDemo finished; broker and agents stopped.");

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* walk(path);
    else if (e.isFile) yield path;
  }
}
