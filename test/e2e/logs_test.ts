/**
 * The agent's log as an operator reads it: why the broker cannot be reached, one line per
 * message event (text and JSON), ready and shutdown, and no flood from a node whose key is
 * not approved.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Agent, Broker, Fleet, readOr, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "an agent that cannot reach its broker says so, and why, within seconds",
  opts,
  async () => {
    const ship = await Agent.start("ship1", { broker: "127.0.0.1:1", wait: "socket" });
    try {
      await waitFor(
        () => ship.output.includes("cannot reach nats://127.0.0.1:1: connection refused"),
        10_000,
        `the connection-refused line:\n${ship.output}`,
      );
      assertMatch(
        ship.output,
        /WARN {2}cannot reach nats:\/\/127\.0\.0\.1:1: .*; retrying every 1 s/,
      );
      assert(!ship.output.includes("steward ship1: ready"), ship.output);
      await ship.stop();
      assertMatch(
        ship.output,
        /INFO {2}steward ship1: stopping \(SIGTERM\)\n.*INFO {2}steward ship1: stopped\n/,
      );
    } finally {
      await ship.destroy();
    }
  },
);

Deno.test("an agent logs one line per event of a message, as text", opts, async () => {
  const fleet = await Fleet.start(["central", "ship1"]);
  try {
    const central = fleet.get("central");
    const ship = fleet.get("ship1");
    assertMatch(central.output, /INFO {2}connected to nats:\/\/127\.0\.0\.1:\d+\n/);
    const [answer] = await central.send({
      toNode: "ship1",
      method: "REQCliCommand",
      methodArgs: ["echo", "hi"],
      directory: "cli",
      fileName: "echo.txt",
    });
    const id = answer.id!;
    await waitFor(() => readOr(central.file("cli", "ship1", "echo.txt")), 15_000, "the reply");
    await waitFor(() => central.output.includes(`(reply to ${id}) from ship1 to `), 5_000, "wrote");
    const lines = (agent: Agent) => agent.output.split("\n").filter((l) => l.includes(id));
    const said = (agent: Agent, pattern: RegExp) =>
      assert(lines(agent).some((l) => pattern.test(l)), `${pattern} in:\n${agent.output}`);
    said(central, /INFO {2}accepted REQCliCommand \S+ for ship1 from the socket input$/);
    said(central, /INFO {2}published REQCliCommand \S+ to ship1$/);
    said(central, /INFO {2}ship1 ACKed REQCliCommand \S+ after \d+ ms$/);
    said(ship, /INFO {2}executed REQCliCommand \S+ from central in \d+ ms$/);
    said(ship, /INFO {2}published REQToFileAppend \S+ \(reply to \S+\) to central$/);
    const file = join(central.dataFolder, "cli", "ship1", "echo.txt");
    said(
      central,
      new RegExp(`INFO {2}wrote REQToFileAppend \\S+ \\(reply to \\S+\\) from ship1 to ${file}$`),
    );
  } finally {
    await fleet.stop();
  }
});

Deno.test(
  "-logFormat=json writes one JSON object per line, a message's events among them",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"], {
      flags: { central: ["-logFormat=json"], ship1: ["-logFormat=json"] },
    });
    try {
      const central = fleet.get("central");
      const [answer] = await central.send({ toNode: "ship1", method: "REQPing" });
      await waitFor(
        () => central.output.includes(`(reply to ${answer.id}) from ship1 to `),
        15_000,
        "the pong written",
      );
      await central.stop();
      const records = central.output.trim().split("\n").map((l) => JSON.parse(l));
      for (const r of records) {
        assertEquals(typeof r.time, "string");
        assert(["debug", "info", "warn", "error"].includes(r.level), JSON.stringify(r));
        assertEquals(r.node, "central");
      }
      const events = records.filter((r) => r.fields?.id === answer.id).map((r) => r.event);
      assertEquals(events.sort(), ["accepted", "acked", "published"]);
      const written = records.find((r) => r.event === "reply" && r.fields.method === "REQPong");
      assertEquals(written?.fields.fromNode, "ship1");
      assertEquals(
        records.filter((r) => ["accepting", "ready", "stopping", "stopped"].includes(r.event))
          .map((r) => r.event),
        ["accepting", "ready", "stopping", "stopped"],
      );
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "commands from a node whose key is not approved do not flood central's log",
  opts,
  async () => {
    const broker = await Broker.start();
    const central = await Agent.start("central", { broker: broker.address });
    // A name no other test provisions: the shared test keys would pre-approve it otherwise.
    const ship = await Agent.start("ship9", {
      broker: broker.address,
      provision: false,
      flags: ["-startPubREQHello=1", "-trustCentralOnFirstUse=true"],
    });
    try {
      await waitFor(
        () => central.output.includes("key of ship9 is pending approval"),
        15_000,
        "hello",
      );
      const commands = Array.from({ length: 20 }, () => ({
        toNode: "central",
        method: "REQCliCommand",
        methodArgs: ["echo", "hi"],
        ACKTimeout: 1,
        retries: 1,
      }));
      await ship.send(commands);
      // Until ship9 has given up on all 20 (each tried twice, each refused by central).
      await waitFor(
        async () =>
          (await readOr(join(ship.dir, "var", "audit.log"))).split("\n")
            .filter((l) => l.includes('"failed"') && l.includes("central.REQCliCommand")).length ===
            20,
        30_000,
        "ship9 to give up on its commands",
      );
      const lines = () =>
        central.output.split("\n").filter((l) => l.includes("(REQCliCommand) from ship9 refused"));
      // And central has said how many more came in that second.
      await waitFor(
        () => lines().some((l) => /\(\d+ more times in the last 1 s\)/.test(l)),
        10_000,
        "central's count of the refusals",
      );
      // The first refusal, then a count per second: not one line per message and resend.
      const refused = lines();
      assert(refused.length <= 4, `${refused.length} lines:\n${refused.join("\n")}`);
    } finally {
      await Promise.all([central.destroy(), ship.destroy()]);
      await broker.stop();
    }
  },
);
