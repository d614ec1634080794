/**
 * Issue 16: an input message resent with the same idempotency key (a client that lost its
 * connection before the "accepted" line) is answered with the first message's id and neither
 * stored nor run again, also after a crash of the node that took it.
 */
import { assertEquals } from "../assert.ts";
import { delay, Fleet, readOr, waitFor } from "../harness.ts";

Deno.test("idempotency key: a resend is answered with the first id and runs nothing, also after kill -9 of central", async () => {
  const fleet = await Fleet.start(["central", "ship1"]);
  try {
    const central = fleet.get("central");
    const ship1 = fleet.get("ship1");
    const ran = `${ship1.dir}/ran.txt`;
    const message = {
      toNode: "ship1",
      method: "REQCliCommand",
      methodArgs: ["bash", "-c", `echo run >> ${ran}; echo out`],
      replyMethod: "REQToFileAppend",
      directory: "idem",
      fileName: "out.txt",
      idempotencyKey: "client-7f3a-0001",
    };
    const [first] = await central.send([message]);
    assertEquals(first.status, "accepted");
    const [again] = await central.send([message]);
    assertEquals(again, { ...first, duplicate: true });
    await waitFor(() => readOr(central.file("idem", "ship1", "out.txt")), 15_000, "the result");
    // The key outlives the process that took it.
    await central.kill9();
    await central.restart();
    const [afterCrash] = await central.send([message]);
    assertEquals(afterCrash, { ...first, duplicate: true });
    // Another key is another message.
    const [other] = await central.send([{ ...message, idempotencyKey: "client-7f3a-0002" }]);
    assertEquals(other.status, "accepted");
    assertEquals(other.duplicate, undefined);
    await waitFor(
      async () => (await readOr(central.file("idem", "ship1", "out.txt"))) === "out\nout\n",
      15_000,
      "the second result",
    );
    await delay(1000);
    assertEquals(await readOr(ran), "run\nrun\n");
  } finally {
    await fleet.stop();
  }
});
