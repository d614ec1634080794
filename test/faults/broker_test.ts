/**
 * Issue 5, point 4: stopping the nats-server for a while loses no accepted message and the
 * agents reconnect on their own; with a cluster of three, stopping the server an agent is
 * connected to (one by one, leaving one) does not stop its traffic.
 */
import { assert, assertEquals } from "../assert.ts";
import { Agent, Cluster, delay, Fleet, pongIds, waitFor } from "../harness.ts";
import { compare, figure, OPTS, sendPings } from "./support.ts";

const PATIENT = { ACKTimeout: 2, retries: 60, replyACKTimeout: 2, replyRetries: 60 };

Deno.test(
  "broker: nats-server stopped for 6 s mid-flow and restarted; nothing accepted is lost",
  OPTS,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const ship1 = fleet.get("ship1");
      const before = await sendPings(central, "ship1", 200, PATIENT, 50);
      await fleet.broker.stop();
      const stopped = Date.now();
      // Inputs keep accepting while the broker is away.
      const during = await sendPings(central, "ship1", 100, PATIENT, 50);
      await delay(Math.max(0, 6000 - (Date.now() - stopped)));
      await fleet.broker.restart();
      const restarted = Date.now();
      const ids = [...before, ...during];
      await waitFor(
        async () => (await pongIds(central, "ship1")).length >= ids.length,
        120_000,
        "every pong",
      );
      const allMs = Date.now() - restarted;
      await delay(2000);
      const landed = await pongIds(central, "ship1");
      const c = compare(ids, landed);
      const after = await sendPings(central, "ship1", 1);
      await waitFor(async () => (await pongIds(central, "ship1")).includes(after[0]), 20_000);
      figure("broker/restart", {
        sent: ids.length,
        acceptedWhileDown: during.length,
        brokerDownSeconds: (restarted - stopped) / 1000,
        pongs: landed.length,
        lost: c.lost.length,
        twice: c.twice.length,
        secondsToAllAfterRestart: allMs / 1000,
      });
      assertEquals(c.lost, []);
      assertEquals(c.twice, []);
      for (const a of [central, ship1]) {
        assert(a.output.includes("reconnected to nats://"), `${a.name} reconnected on its own`);
      }
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "broker: cluster of three, the servers central and ship1 use are stopped one by one; traffic goes on",
  OPTS,
  async () => {
    const cluster = await Cluster.start(3);
    const agents: Agent[] = [];
    let sending = true;
    try {
      for (const name of ["central", "ship1"]) {
        agents.push(await Agent.start(name, { broker: cluster.address }));
      }
      const [central] = agents;
      const sentAt = new Map<string, number>();
      // A steady trickle of pings through every phase.
      const trickle = (async () => {
        while (sending) {
          const [id] = await sendPings(central, "ship1", 1, PATIENT);
          sentAt.set(id, Date.now());
          await delay(100);
        }
      })();
      // Stops the trickle if the test fails first; its own failure is reported by `await`.
      trickle.catch(() => sending = false);
      // When each pong lands, watched all along (not only once sending stops).
      const arrived = new Map<string, number>();
      const watch = async () => {
        for (const id of await pongIds(central, "ship1")) {
          if (!arrived.has(id)) arrived.set(id, Date.now());
        }
      };
      const watcher = (async () => {
        while (sending) {
          await watch();
          await delay(100);
        }
      })();
      const stops: string[] = [];
      await delay(3000);
      // First the server central is on, then the one ship1 is on (or, if ship1 cannot be
      // located in time, any other), leaving one server running.
      for (const name of ["central", "ship1"]) {
        // Wrapped: server 0 is a valid answer, and waitFor waits for a truthy one.
        let index = await waitFor(async () => {
          const i = await cluster.serverOf(name);
          return i === undefined ? undefined : { i };
        }, 10_000).then((found) => found.i, () => undefined);
        if (index === undefined || cluster.running.length === 1) {
          index = cluster.running[0];
          stops.push(`unlocated-${name}@${index} ${JSON.stringify(await cluster.clients())}`);
        } else stops.push(`${name}@${index}`);
        await cluster.stopOne(index);
        await cluster.routed(cluster.running.length);
        await delay(4000);
      }
      await delay(3000);
      sending = false;
      await trickle;
      await watcher;
      const ids = [...sentAt.keys()];
      await waitFor(
        async () => {
          await watch();
          return arrived.size >= ids.length;
        },
        120_000,
        "every pong",
      );
      await delay(2000);
      const landed = await pongIds(central, "ship1");
      const c = compare(ids, landed);
      const delays = ids.map((id) => (arrived.get(id) ?? 0) - sentAt.get(id)!);
      figure("broker/cluster", {
        stopped: stops,
        sent: ids.length,
        pongs: landed.length,
        lost: c.lost.length,
        twice: c.twice.length,
        maxPongDelaySeconds: Math.max(...delays) / 1000,
        medianPongDelaySeconds: [...delays].sort((a, b) => a - b)[delays.length >> 1] / 1000,
        reconnects: agents.map((a) => a.output.split("reconnected to").length - 1),
      });
      assertEquals(c.lost, []);
      assertEquals(c.twice, []);
      assertEquals(stops.length, 2);
      assertEquals(stops[0].startsWith("central@"), true, "central's own server was stopped");
    } finally {
      sending = false;
      await Promise.all(agents.map((a) => a.destroy()));
      await cluster.stop();
    }
  },
);
