/**
 * Issue 5, point 3: a node that is down when messages are sent and comes up within the retry
 * window gets them all, in order per sender; one that stays down produces exactly one clear
 * error per message at central; the agents keep serving throughout.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { delay, Fleet, pongIds, waitFor } from "../harness.ts";
import { compare, errorLines, figure, OPTS, sendPings, tally } from "./support.ts";

const N = 300;

Deno.test(
  "intermittent: ship1 down while 300 pings are sent, up within the retry window: all, in order",
  OPTS,
  async () => {
    const fleet = await Fleet.start(["central"]);
    try {
      const central = fleet.get("central");
      const started = Date.now();
      const ids = await sendPings(central, "ship1", N, { ACKTimeout: 2, retries: 30 }, 50);
      await delay(3300); // A couple of failed attempts each, at different phases.
      await fleet.add("ship1");
      const up = Date.now();
      await waitFor(async () => (await pongIds(central, "ship1")).length >= N, 90_000, "pongs");
      const allMs = Date.now() - up;
      await delay(2000);
      const landed = await pongIds(central, "ship1");
      const c = compare(ids, landed);
      // Pongs are appended in the order ship1 ran the pings, so this is the order of arrival.
      const outOfOrder = landed.filter((id, i) => i > 0 && id < landed[i - 1]).length;
      figure("intermittent/late-node", {
        sent: N,
        pongs: landed.length,
        lost: c.lost.length,
        twice: c.twice.length,
        outOfOrder,
        downSeconds: (up - started) / 1000,
        secondsToAllAfterUp: allMs / 1000,
      });
      assertEquals(c.lost, []);
      assertEquals(c.twice, []);
      assertEquals(outOfOrder, 0, "pings must reach ship1 in the order central accepted them");
      assertEquals(landed, ids);
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "intermittent: a node that stays down gives exactly one clear error per message; others served",
  OPTS,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const M = 40;
      const ids = await sendPings(central, "ship9", M, { ACKTimeout: 1, retries: 2 }, 20);
      // ship1 keeps being served while the messages to ship9 are retried.
      const served = await sendPings(central, "ship1", 20, {}, 1);
      await waitFor(async () => (await pongIds(central, "ship1")).length >= 20, 30_000, "pongs");
      await waitFor(
        async () => (await errorLines(central, "central", "max retries")).length >= M,
        30_000,
        "one error per message",
      );
      await delay(4000); // Room for a second error line that must not come.
      const errors = await errorLines(central, "central", "max retries");
      const errorIds = errors.map((l) => /id: (\S+):/.exec(l)?.[1] ?? "");
      const c = compare(ids, errorIds);
      // After all that, ship1 and central still answer.
      const after = await sendPings(central, "ship1", 1);
      await waitFor(async () => (await pongIds(central, "ship1")).includes(after[0]), 15_000);
      figure("intermittent/stays-down", {
        sent: M,
        errors: errors.length,
        missingErrors: c.lost.length,
        doubleErrors: c.twice.length,
        servedMeanwhile: served.length,
      });
      assertEquals(c.lost, []);
      assertEquals(c.twice, []);
      assertEquals(c.unexpected, []);
      assertEquals([...tally(errorIds).values()].every((n) => n === 1), true);
      for (const line of errors) {
        assertMatch(
          line,
          /toNode: ship9, fromNode: central, method: REQPing, id: \S+: max retries reached, check if node is up and running/,
        );
      }
    } finally {
      await fleet.stop();
    }
  },
);
