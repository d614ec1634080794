/**
 * Issue 14, item 9: a message that failed to reach a node that was down (and now waits out a
 * long ACKTimeout before its next try) must not make later messages to that node, now up, fail
 * with "an older message to this node was not ACKed yet". Order still holds: the older message
 * reaches the node before the later ones.
 *
 * @module
 */
import { assertEquals } from "../assert.ts";
import { delay, Fleet, pongIds, readOr, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "order: a message waiting out a long ACKTimeout after its node was down does not block " +
    "later pings once the node is up; they arrive after it, in order",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const ship1 = fleet.get("ship1");
      await fleet.introduce();
      await ship1.stop();
      // Refused at once (no responders): its next try is 300 s away.
      const [first] = await central.send({
        toNode: "ship1",
        method: "REQPing",
        ACKTimeout: 300,
        retries: 1,
      });
      await delay(500);
      await ship1.restart();
      const later: string[] = [];
      for (let i = 0; i < 3; i++) {
        const [a] = await central.send({
          toNode: "ship1",
          method: "REQPing",
          ACKTimeout: 2,
          retries: 1,
        });
        later.push(a.id!);
      }
      const ids = [first.id!, ...later];
      await waitFor(
        async () => (await pongIds(central, "ship1")).filter((id) => ids.includes(id)).length >= 4,
        15_000,
        "the four pongs",
      ).catch(async (err) => {
        throw new Error(`${err.message}; central's error log:\n${await readOr(
          central.file("errorLog", "central", "error.log"),
        )}`);
      });
      const landed = (await pongIds(central, "ship1")).filter((id) => ids.includes(id));
      assertEquals(landed, ids, "the pings must reach ship1 in the order central accepted them");
    } finally {
      await fleet.stop();
    }
  },
);
