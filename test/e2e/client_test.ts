import { chainCli, connect, to, toFile, toNodes } from "../../mod.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { Fleet, readOr, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("run() returns ship1's and ship2's results for a toNodes message", opts, async () => {
  const fleet = await Fleet.start(["central", "ship1", "ship2"]);
  try {
    const central = fleet.get("central");
    const steward = await connect({ socket: central.socket });
    const results = await steward.run(
      toNodes(["ship1", "ship2"]).cli("echo hello from $(basename $PWD | cut -d- -f2)")
        .reply(toFile("run/hello.txt")),
    );
    assertEquals(results.map((r) => r.node), ["ship1", "ship2"]);
    for (const r of results) {
      assertEquals(r.ok, true, r.error);
      assertEquals(r.output, `hello from ${r.node}\n`);
      assert(r.timings.ms >= 0 && r.timings.finishedAt >= r.timings.acceptedAt);
    }
    // The reply still followed its replyMethod.
    const file = central.file("run", "ship1", "hello.txt");
    assertEquals(await waitFor(() => readOr(file)), "hello from ship1\n");

    // A chained reply: central runs a second command with ship1's output in it.
    const chained = `${central.dir}/chained.txt`;
    const [first] = await steward.run(
      to("ship1").cli("echo first-result").reply(
        chainCli(`echo "got {{STEWARD_DATA}}" > ${chained}`),
      ),
    );
    assertEquals([first.ok, first.output], [true, "first-result\n"]);
    assertEquals(await readOr(chained), "got first-result\n\n");
    steward.close();
  } finally {
    await fleet.stop();
  }
});

Deno.test("run() gives ok:false for a failing command and an unreachable node", opts, async () => {
  const fleet = await Fleet.start(["central", "ship1"]);
  try {
    const steward = await connect({ socket: fleet.get("central").socket });
    const [failed] = await steward.run(to("ship1").cli("echo partial; exit 3"));
    assertEquals(failed.ok, false);
    assertMatch(failed.error ?? "", /exited with code 3/);
    const [down] = await steward.run(to("ship9").ping().timeout({ ack: 1, retries: 1 }));
    assertEquals(down.node, "ship9");
    assertEquals(down.ok, false);
    assertMatch(down.error ?? "", /max retries reached/);
    await assertRejects(
      () => steward.send({ toNode: "ship1", method: "REQNope" }),
      /unknown method "REQNope"/,
    );
    const ids = await steward.send(to("ship1").ping(), to("ship1").ping());
    assertEquals(ids.length, 2);
  } finally {
    await fleet.stop();
  }
});
