/**
 * Smaller holes in what the agent accepts (issue 14, item 13): escape sequences printed raw on
 * the console, a tail of a FIFO that ignores methodTimeout and blocks a clean stop, and reserved
 * NATS names accepted as node names.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Agent, Broker, Fleet, readOr, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "item 13: REQToConsole shows control characters escaped, never sends them to the terminal",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      // Clear screen, set the window title, a C1 CSI, DEL, a bidi override, a bell.
      const hostile = "a\x1b[2J\x1b]0;pwned\x07b\u009b31mc\x7fd\u202ee\rf\tg";
      await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["printf", "%s", hostile],
        replyMethod: "REQToConsole",
      });
      const line = await waitFor(
        () => central.output.split("\n").find((l) => l.includes("[ship1] REQCliCommand: a")),
        15_000,
        "the console line",
      );
      assertEquals(
        line,
        "[ship1] REQCliCommand: a\\x1b[2J\\x1b]0;pwned\\x07b\\x9b31mc\\x7fd\\u202ee\\rf\tg",
      );
      // A refused message whose method and id another node chose is logged escaped too.
      const [refused] = await central.send({ toNode: "central", method: "REQ\x1b]0;owned\x07" });
      assertEquals(refused.status, "rejected");
      await waitFor(
        () => central.output.includes("REQ\\x1b]0;owned\\x07"),
        10_000,
        "the refusal in the log",
      );
      // No raw control character (other than tab) reached the terminal at all.
      const raw = [...central.output].filter((c) => {
        const n = c.codePointAt(0)!;
        return (n < 0x20 && c !== "\n" && c !== "\t") || (n >= 0x7f && n < 0xa0) ||
          c === "\u202e";
      });
      assertEquals(raw, []);
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "item 13: REQTailFile on a FIFO ends at methodTimeout and does not block a clean stop",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const [central, ship1] = ["central", "ship1"].map((n) => fleet.get(n));
      const fifo = join(ship1.dir, "fifo");
      const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert(made.success, "mkfifo");
      const started = Date.now();
      await central.send({
        toNode: "ship1",
        method: "REQTailFile",
        methodArgs: [fifo],
        methodTimeout: 2,
        directory: "tail",
        fileName: "fifo.result",
        ACKTimeout: 5,
        retries: 0,
      });
      const result = central.file("tail", "ship1", "fifo.result");
      await waitFor(
        async () => (await Deno.stat(result).catch(() => null)) !== null,
        15_000,
        `the tail to end (ship1 said: ${ship1.output.slice(-2000)})`,
      );
      const took = Date.now() - started;
      assert(took < 8_000, `the tail of a FIFO ended after ${took} ms, methodTimeout is 2 s`);
      assertMatch(await readOr(result), /^$|not a regular file|FIFO/);
      // A second tail is still running when the agent is stopped: the stop is clean and quick.
      await central.send({
        toNode: "ship1",
        method: "REQTailFile",
        methodArgs: [fifo],
        methodTimeout: 60,
        directory: "tail",
        fileName: "fifo2.result",
      });
      await new Promise((r) => setTimeout(r, 1000)); // It has opened (or is opening) the FIFO.
      const stopping = Date.now();
      await ship1.stop();
      const stopTook = Date.now() - stopping;
      assert(stopTook < 4_000, `ship1 took ${stopTook} ms to stop (killed after 5 s)`);
      assertEquals(ship1.exitCode, 0, ship1.output.slice(-2000));
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "item 13: reserved NATS names (_INBOX, $SYS, $JS, $KV, any _ or $ prefix) are refused as " +
    "node names: toNode, toNodes, -nodeName, -centralNodeName",
  opts,
  async () => {
    const broker = await Broker.start();
    const agents: Agent[] = [];
    try {
      const central = await Agent.start("central", { broker: broker.address });
      agents.push(central);
      for (const name of ["_INBOX", "$SYS", "$JS", "$KV", "_x", "_"]) {
        const [one] = await central.send({ toNode: name, method: "REQPing" });
        assertEquals(one.status, "rejected", `toNode ${name}`);
        assertMatch(String(one.error), /toNode/);
        const [many] = await central.send({ toNodes: ["central", name], method: "REQPing" });
        assertEquals(many.status, "rejected", `toNodes ${name}`);
        assertMatch(String(many.error), /toNodes/);
      }
      for (const flag of ["-nodeName", "-centralNodeName"]) {
        const agent = await Agent.start(flag === "-nodeName" ? "_INBOX" : "ship9", {
          broker: broker.address,
          flags: flag === "-nodeName" ? [] : ["-centralNodeName=_INBOX"],
          wait: "none",
          provision: false,
        });
        agents.push(agent);
        await waitFor(() => agent.exitCode !== undefined, 20_000, `${flag}=_INBOX to stop it`);
        assert(agent.exitCode !== 0, `${flag}=_INBOX: exit code ${agent.exitCode}`);
        assertMatch(agent.output, new RegExp(`${flag} "_INBOX"`));
        assertMatch(agent.output, /reserved/);
      }
    } finally {
      for (const a of agents) await a.destroy();
      await broker.stop();
    }
  },
);
