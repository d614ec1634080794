import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Agent, Broker, delay, Fleet, freePort, readOr, ROOT, waitFor } from "../harness.ts";
import { agentDenoFlags } from "../../src/permissions.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("TCP and HTTP listeners take messages like the socket does", opts, async () => {
  const tcpPort = freePort();
  const httpPort = freePort();
  const fleet = await Fleet.start(["central", "ship1"], {
    flags: {
      central: [`-tcpListener=127.0.0.1:${tcpPort}`, `-httpListener=127.0.0.1:${httpPort}`],
    },
  });
  try {
    const central = fleet.get("central");
    // The network listeners need the listener token (see test/attacks/listeners_test.ts).
    const token = (await Deno.readTextFile(`${central.dir}/etc/listener_token`)).trim();
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: tcpPort });
    await conn.write(new TextEncoder().encode(
      JSON.stringify({ stewardToken: token }) + "\n" + JSON.stringify({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "tcp"],
        directory: "in",
        fileName: "tcp",
      }),
    ));
    await conn.closeWrite();
    const tcpAnswer = JSON.parse((await new Response(conn.readable).text()).trim());
    assertEquals(tcpAnswer.status, "accepted");

    const res = await fetch(`http://127.0.0.1:${httpPort}/`, {
      method: "POST",
      headers,
      body: JSON.stringify([
        {
          toNode: "ship1",
          method: "REQCliCommand",
          methodArgs: ["echo", "http"],
          directory: "in",
          fileName: "http",
        },
        { toNode: "ship1", method: "REQNope" },
      ]),
    });
    assertEquals(res.status, 200);
    const answers = await res.json();
    assertEquals(answers.map((a: { status: string }) => a.status), ["accepted", "rejected"]);
    const bad = await fetch(`http://127.0.0.1:${httpPort}/`, {
      method: "POST",
      headers,
      body: "{nope",
    });
    assertEquals(bad.status, 400);
    assertMatch((await bad.json())[0].error, /malformed JSON/);

    assertEquals(await waitFor(() => readOr(central.file("in", "ship1", "tcp")), 10_000), "tcp\n");
    assertEquals(
      await waitFor(() => readOr(central.file("in", "ship1", "http")), 10_000),
      "http\n",
    );
  } finally {
    await fleet.stop();
  }
});

Deno.test(
  "an agent started while the broker is down accepts messages and delivers them once it is up",
  opts,
  async () => {
    const broker = await Broker.start();
    await broker.stop();
    const central = await Agent.start("central", { broker: broker.address, wait: "socket" });
    const ship1 = await Agent.start("ship1", { broker: broker.address, wait: "socket" });
    try {
      const [a] = await central.send({
        toNode: "ship1",
        method: "REQPing",
        ACKTimeout: 2,
        retries: 30,
      });
      assertEquals(a.status, "accepted");
      await delay(1500);
      await broker.restart();
      const pong = await waitFor(() => readOr(central.file("ping", "ship1", "pong.log")), 20_000);
      assertMatch(pong, new RegExp(`ping ${a.id}\\n$`));
    } finally {
      await central.destroy();
      await ship1.destroy();
      await broker.stop();
    }
  },
);

Deno.test(
  "the audit log has the whole message on its published line, and the outcome by id",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const [a] = await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "audited"],
      });
      await waitFor(
        async () => (await readOr(`${central.dir}/var/audit.log`)).includes('"delivered"'),
        10_000,
      );
      const lines = (await readOr(`${central.dir}/var/audit.log`)).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      const mine = lines.filter((l) => l.message.id === a.id);
      assertEquals(mine.map((l) => l.event), ["published", "delivered"]);
      assertEquals(mine[0].subject, "ship1.REQCliCommand.CommandACK");
      assertEquals(mine[0].message.methodArgs, ["echo", "audited"]);
      assertEquals(mine[0].message.fromNode, "central");
      // The outcome refers to the published line by id instead of repeating the message.
      assertEquals(mine[1].message, { id: a.id });
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test("deno task compile bakes in exactly the flags deno task agent runs with, and the spawn worker", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/compile.ts", "--dry-run"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim();
  assert(out.success);
  assertEquals(
    line,
    `deno compile ${agentDenoFlags().join(" ")} ` +
      `--include ${ROOT}src/methods/spawn_worker.ts --output steward ${ROOT}src/cli.ts`,
  );
});
