/**
 * Issue 17, part 2: ships as NATS leaf nodes. A hub on shore (one nats-server, or a cluster of
 * three), a ship's own nats-server as a leaf node of it, central on the hub and the ship's agent
 * on the ship's server, all with the configs scripts/nats_leaf.ts writes (doc/leaf-nodes.md).
 */
import { join } from "node:path";
import { connect, nkeyAuthenticator } from "npm:@nats-io/transport-node@3.4.0";
import { assert, assertEquals } from "../assert.ts";
import { Agent, Broker, delay, freePort, pongIds, ROOT, waitFor } from "../harness.ts";
import { compare, OPTS, sendPings } from "../faults/support.ts";
import { exampleConfigs, generateLeafTopology, type HubServer } from "../../scripts/nats_leaf.ts";

// Retries span minutes: a message waits in its sender's KV across the 30 s cut.
const PATIENT = { ACKTimeout: 2, retries: 60, replyACKTimeout: 2, replyRetries: 60 };

interface Topology {
  dir: string;
  hub: Broker[];
  hubServers: HubServer[];
  ship: Broker;
  central: Agent;
  ship1: Agent;
  stop(): Promise<void>;
}

async function startTopology(hubSize: number): Promise<Topology> {
  const dir = await Deno.makeTempDir({ prefix: "steward-leaf-" });
  const hubServers = Array.from({ length: hubSize }, () => ({
    host: "127.0.0.1",
    port: freePort(),
    leafPort: freePort(),
    routePort: freePort(),
    monitorPort: freePort(),
  }));
  const shipPort = freePort();
  const files = await generateLeafTopology(join(dir, "auth"), {
    central: "central",
    ships: [{ name: "ship1", nodes: ["ship1"], port: shipPort }],
    hub: hubServers,
  });
  const hub = await Promise.all(
    hubServers.map((h, i) => Broker.start({ port: h.port, args: ["-c", files.hubConfigs[i]] })),
  );
  if (hubSize > 1) {
    await waitFor(
      async () =>
        (await Promise.all(hubServers.map((h) => monitor(h, "routez")))).every(
          (r) => (r.num_routes as number) >= hubSize - 1,
        ),
      30_000,
      "hub cluster routes",
    );
  }
  const ship = await Broker.start({ port: shipPort, args: ["-c", files.shipConfigs.ship1] });
  const central = await Agent.start("central", {
    broker: hub.map((b) => b.address).join(","),
    flags: [`-nkeySeedFile=${files.seeds.central}`],
  });
  const ship1 = await Agent.start("ship1", {
    broker: ship.address,
    flags: [`-nkeySeedFile=${files.seeds.ship1}`],
  });
  await leafHolder(hubServers);
  return {
    dir,
    hub,
    hubServers,
    ship,
    central,
    ship1,
    async stop() {
      await Promise.all([central.destroy(), ship1.destroy()]);
      await Promise.all([...hub, ship].map((b) => b.stop()));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function monitor(h: HubServer, endpoint: string): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${h.monitorPort}/${endpoint}`);
  return await res.json();
}

/** Index of the hub server holding the ship's leaf connection, once there is one. */
async function leafHolder(hubServers: HubServer[], skip = -1): Promise<number> {
  return await waitFor(
    async () => {
      for (const [i, h] of hubServers.entries()) {
        if (i === skip) continue;
        if (((await monitor(h, "leafz")).leafnodes as number) > 0) return i + 1;
      }
      return 0;
    },
    30_000,
    "the ship's leaf connection",
  ) - 1;
}

/** Waits until `agent` recorded at least `ids.length` pongs from `node`, then a little more. */
async function landed(agent: Agent, node: string, ids: string[]): Promise<string[]> {
  await waitFor(
    async () => (await pongIds(agent, node)).length >= ids.length,
    180_000,
    `${ids.length} pongs from ${node} at ${agent.name}`,
  );
  await delay(2000); // time for a duplicate, if any, to land
  return await pongIds(agent, node);
}

Deno.test(
  "leaf nodes: commands and replies cross the leaf link; a 30 s cut loses, repeats and reorders nothing",
  OPTS,
  async () => {
    const t = await startTopology(1);
    try {
      // Central → ship and ship → central through the leaf connection.
      const toShip = await sendPings(t.central, "ship1", 20, PATIENT, 20);
      const toCentral = await sendPings(t.ship1, "central", 20, PATIENT, 20);
      assertEquals(await landed(t.central, "ship1", toShip), toShip);
      assertEquals(await landed(t.ship1, "central", toCentral), toCentral);

      await t.hub[0].stop();
      const cut = Date.now();
      const local: string[] = [];
      while (Date.now() - cut < 30_000) {
        toShip.push(...await sendPings(t.central, "ship1", 10, PATIENT, 10));
        toCentral.push(...await sendPings(t.ship1, "central", 10, PATIENT, 10));
        local.push(...await sendPings(t.ship1, "ship1", 5, PATIENT, 5));
        await delay(3000);
      }
      // The ship kept running its own messages while cut off from shore.
      assertEquals(await landed(t.ship1, "ship1", local), local);
      assertEquals((await pongIds(t.central, "ship1")).length, 20, "nothing crossed the cut");
      await t.hub[0].restart();

      assertEquals(await landed(t.central, "ship1", toShip), toShip);
      assertEquals(await landed(t.ship1, "central", toCentral), toCentral);
    } finally {
      await t.stop();
    }
  },
);

Deno.test(
  "leaf nodes: with a 3-server hub, stopping the server holding the leaf connection loses nothing",
  OPTS,
  async () => {
    const t = await startTopology(3);
    try {
      const holder = await leafHolder(t.hubServers);
      const batches: { toShip: string[]; toCentral: string[] }[] = [];
      const send = async () => {
        batches.push({
          toShip: await sendPings(t.central, "ship1", 10, PATIENT, 10),
          toCentral: await sendPings(t.ship1, "central", 10, PATIENT, 10),
        });
      };
      await send();
      await t.hub[holder].stop();
      await send();
      const next = await leafHolder(t.hubServers, holder);
      assert(next !== holder, "the leaf moved to another hub server");
      await send();

      for (
        const [agent, node, way] of [[t.central, "ship1", "toShip"], [
          t.ship1,
          "central",
          "toCentral",
        ]] as const
      ) {
        const sent = batches.flatMap((b) => b[way]);
        const got = await landed(agent, node, sent);
        const c = compare(sent, got);
        assertEquals(c.lost, [], `${way}: nothing lost`);
        assertEquals(c.twice, [], `${way}: nothing twice`);
        // Order holds for what was sent once the link had moved. A message in flight when the
        // server died is resent after its ACKTimeout and may land after younger ones: the
        // publisher keeps a window of unACKed messages per subject (src/node/publisher.ts).
        const after = new Set(batches[2][way]);
        assertEquals(got.filter((id) => after.has(id)), batches[2][way], `${way}: in order`);
      }
    } finally {
      await t.stop();
    }
  },
);

Deno.test(
  "leaf nodes: the hub sends a ship's leaf connection only that ship's subjects, whatever its server allows",
  OPTS,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "steward-leaf-" });
    const h = {
      host: "127.0.0.1",
      port: freePort(),
      leafPort: freePort(),
      monitorPort: freePort(),
    };
    const files = await generateLeafTopology(join(dir, "auth"), {
      central: "central",
      ships: [{ name: "ship1", nodes: ["ship1"] }],
      hub: [h],
    });
    // A ship server taken over: no authorization of its own, the ship's real leaf certificate.
    const tls = join(dir, "auth", "tls");
    const rogueConfig = join(dir, "rogue.conf");
    await Deno.writeTextFile(
      rogueConfig,
      `leafnodes { remotes = [ { urls: ["nats-leaf://127.0.0.1:${h.leafPort}"], tls {
        cert_file: "${tls}/leaf-ship1.pem", key_file: "${tls}/leaf-ship1-key.pem",
        ca_file: "${files.ca}" } } ] }\n`,
    );
    const hub = await Broker.start({ port: h.port, args: ["-c", files.hubConfigs[0]] });
    const rogue = await Broker.start({ args: ["-c", rogueConfig] });
    const seed = (await Deno.readTextFile(files.seeds.central)).trim();
    const central = await connect({
      servers: [hub.address],
      authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
      inboxPrefix: "_INBOX.central",
    });
    const spy = await connect({ servers: [rogue.address] });
    try {
      await leafHolder([h]);
      const seen: string[] = [];
      const sub = spy.subscribe(">");
      (async () => {
        for await (const m of sub) seen.push(m.subject);
      })();
      await spy.flush();
      // Central publishes in this order on one connection: what the leaf may carry arrives
      // after whatever it should not have carried would have.
      await waitFor(
        async () => {
          for (const subject of ["ship2.REQPing.CommandACK", "central.REQPong.CommandACK"]) {
            central.publish(subject, "x");
          }
          central.publish("ship1.REQPing.CommandACK", "x");
          await central.flush();
          await delay(200);
          return seen.includes("ship1.REQPing.CommandACK");
        },
        20_000,
        "ship1's subject to reach the ship",
      );
      assertEquals([...new Set(seen)], ["ship1.REQPing.CommandACK"]);
    } finally {
      await central.close();
      await spy.close();
      await Promise.all([hub.stop(), rogue.stop()]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test("leaf nodes: the configs doc/leaf-nodes.md shows are the ones these tests run", async () => {
  for (const [name, text] of Object.entries(exampleConfigs())) {
    assertEquals(
      await Deno.readTextFile(join(ROOT, "doc", "leaf-nodes", name)),
      text,
      `doc/leaf-nodes/${name} is out of date: deno run -A scripts/nats_leaf.ts --examples doc/leaf-nodes`,
    );
  }
});
