import { connect, type NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Agent, Broker, delay, Fleet, readOr, ROOT, waitFor } from "../harness.ts";
import { fleetKeys } from "../pki.ts";
import { testMessage } from "../message_fixture.ts";
import { AGENT_ENTRY, agentDenoFlags } from "../../src/permissions.ts";
import { APPROVED_KEYS_FOLDER, preApproveKey } from "../../src/security/approved_keys.ts";
import { loadOrCreateNodeKeys, PUBLIC_KEY_FILE } from "../../src/security/node_keys.ts";
import { signMessage } from "../../src/security/signature.ts";
import { keyFingerprint } from "../../src/security/fingerprint.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
// Signatures are required by default: these fleets only say hello, and start with fresh keys
// that nobody trusts yet (no pre-seeded test keys), so each test goes through approval. The
// ships are not given central's key: they opt in to trusting it on first use.
const SECURE = ["-startPubREQHello=1"];
const FIRST_USE = "-trustCentralOnFirstUse=true";

/** A broker, a central and ships with fresh keys, all requiring signatures (the default). */
async function secureFleet(ships: string[], shipFlags: string[] = []) {
  const broker = await Broker.start();
  const fresh = { broker: broker.address, provision: false };
  const central = await Agent.start("central", { ...fresh, flags: SECURE });
  const agents = [central];
  for (const s of ships) {
    agents.push(await Agent.start(s, { ...fresh, flags: [...SECURE, FIRST_USE, ...shipFlags] }));
  }
  const stop = async () => {
    await Promise.all(agents.map((a) => a.destroy()));
    await broker.stop();
  };
  return { broker, central, ships: agents.slice(1), stop };
}

/** The operator approves `ship`'s key on central and waits until the ship holds the set. */
async function approve(central: Agent, ship: Agent): Promise<void> {
  await waitFor(
    () => central.output.includes(`key of ${ship.name} is pending approval`),
    15_000,
    `central to see ${ship.name}'s key`,
  );
  // The operator's command against the running central, naming the key by the fingerprint of
  // the node's steward_ed25519.pub.
  const fingerprint = await keyFingerprint(await readOr(join(ship.dir, "etc", PUBLIC_KEY_FILE)));
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...agentDenoFlags(),
      join(ROOT, AGENT_ENTRY),
      `-approveKey=${ship.name}:${fingerprint}`,
    ],
    cwd: central.dir,
    env: { CONFIG_FOLDER: join(central.dir, "etc"), NO_COLOR: "1" },
  }).output();
  assertMatch(new TextDecoder().decode(out.stdout), /approved the key of/);
  await waitFor(
    async () => (await readOr(central.file("keys", "central", "keys.log"))).includes(ship.name),
    15_000,
    `approval of ${ship.name}`,
  );
  await waitFor(() => ship.output.includes("pinned central's key"), 15_000, "central pinned");
}

/** The operator revokes `node`'s key on central (`REQKeyRevoke`) and waits until it is done. */
async function revoke(central: Agent, node: string): Promise<void> {
  await central.send({
    toNode: "central",
    method: "REQKeyRevoke",
    methodArgs: [node],
    directory: "keys",
    fileName: "keys.log",
  });
  await waitFor(
    async () => (await readOr(central.file("keys", "central", "keys.log"))).includes("revoked"),
    15_000,
    "revocation",
  );
}

async function runEcho(central: Agent, ship: string, word: string, file: string) {
  await central.send({
    toNode: ship,
    method: "REQCliCommand",
    methodArgs: ["echo", word],
    replyMethod: "REQToFileAppend",
    directory: "signed",
    fileName: file,
    ACKTimeout: 2,
    retries: 1,
  });
}

async function ask(nc: NatsConnection, subject: string, body: object) {
  const reply = await nc.request(subject, new TextEncoder().encode(JSON.stringify(body)), {
    timeout: 5000,
  });
  return reply.json<{ id: string; ok: boolean; duplicate?: boolean; error?: string }>();
}

Deno.test(
  "signed messages: an approved node's messages run; unsigned, unknown-key, tampered and " +
    "replayed ones are refused, reported, and nothing runs",
  opts,
  async () => {
    const fleet = await secureFleet(["ship1"], ["-replayWindow=4"]);
    const [ship1] = fleet.ships;
    const { central } = fleet;
    const nc = await connect({ servers: [fleet.broker.address] });
    try {
      // Before approval central refuses ship1's messages: its hellos say "pending approval" once
      // in the log, not once per hello in the error log; anything else is refused and reported.
      await waitFor(
        () => central.output.includes("new key of ship1 is pending approval"),
        15_000,
        "central to see ship1's key",
      );
      await ship1.send({ toNode: "central", method: "REQPing", ACKTimeout: 1, retries: 0 });
      await waitFor(
        async () => /no trusted key for node ship1/.test(await central.errorLog("central")),
        15_000,
        "central refusing the unapproved ship1's ping",
      );
      await delay(2500); // Two more hellos.
      assertEquals(/REQHello/.test(await central.errorLog("central")), false);
      await approve(central, ship1);
      // The private key is readable only by its owner.
      const keyFile = join(ship1.dir, "etc", "steward_ed25519.key");
      assertEquals((await Deno.stat(keyFile)).mode! & 0o777, 0o600);

      // An eavesdropper on the broker records what central sends to ship1.
      const subject = "ship1.REQCliCommand.CommandACK";
      const captured: Record<string, unknown>[] = [];
      const spy = nc.subscribe(subject, {
        callback: (_e, m) => {
          captured.push(m.json());
        },
      });
      await nc.flush();
      const marker = join(ship1.dir, "marker.txt");
      await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["bash", "-c", `echo ran >> ${marker}; echo approved-ran`],
        directory: "signed",
        fileName: "ok.txt",
      });
      const out = await waitFor(() => readOr(central.file("signed", "ship1", "ok.txt")), 15_000);
      assertEquals(out, "approved-ran\n");
      spy.unsubscribe();
      const original = captured[0];
      assert(typeof original.signature === "string", "messages on the wire are signed");
      assertEquals(await readOr(marker), "ran\n");

      const attacks: [string, object, RegExp][] = [];
      const { signature: _s, signedAt: _t, ...unsigned } = original;
      attacks.push(["unsigned", { ...unsigned, id: "attack-unsigned" }, /is not signed/]);
      const mallory = await loadOrCreateNodeKeys(await Deno.makeTempDir());
      attacks.push([
        "impersonating central with another key",
        await signMessage({ ...unsigned, id: "attack-impostor" }, mallory),
        /signature does not match its content and the trusted key of central/,
      ]);
      attacks.push([
        "unknown node",
        await signMessage({ ...unsigned, id: "attack-unknown", fromNode: "mallory" }, mallory),
        /no trusted key for node mallory/,
      ]);
      attacks.push([
        "tampered",
        { ...original, methodArgs: ["bash", "-c", `echo tampered >> ${marker}`] },
        /signature does not match/,
      ]);
      for (const [what, body, expected] of attacks) {
        const ack = await ask(nc, subject, body);
        assertEquals(ack.ok, false, what);
        assertMatch(ack.error ?? "", expected, what);
      }
      // A replay inside the window is a duplicate (not run again); after it, it is refused.
      assertEquals((await ask(nc, subject, original)).duplicate, true);
      await delay(4500);
      const late = await ask(nc, subject, original);
      assertEquals(late.ok, false);
      assertMatch(late.error ?? "", /refused as a replay: signed \d+\.\d s ago/);

      // Each refusal reached central's error log; nothing ran.
      const log = await waitFor(
        async () => {
          const l = await central.errorLog("ship1");
          return /replay/.test(l) && /mallory/.test(l) ? l : "";
        },
        15_000,
        "refusals in central's error log",
      );
      for (const id of ["attack-unsigned", "attack-impostor", "attack-unknown"]) {
        assertMatch(log, new RegExp(`id: ${id}: refused: `));
      }
      assertMatch(log, /refused: .*signature does not match/);
      await delay(500);
      assertEquals(await readOr(marker), "ran\n");
    } finally {
      await nc.close();
      await fleet.stop();
    }
  },
);

Deno.test(
  "signed messages: revoking a node's key makes central and the other nodes refuse it",
  opts,
  async () => {
    const fleet = await secureFleet(["ship1", "ship2"]);
    const [ship1, ship2] = fleet.ships;
    const { central } = fleet;
    try {
      await approve(central, ship1);
      await approve(central, ship2);
      // ship2 → ship1 works once both are in the trusted set ship1 holds.
      await waitFor(
        async () => {
          await ship2.send({ toNode: "ship1", method: "REQPing", ACKTimeout: 1, retries: 0 });
          return await waitFor(() => readOr(ship2.file("ping", "ship1", "pong.log")), 2000)
            .catch(() => "");
        },
        20_000,
        "ping from ship2 to ship1",
      );
      await runEcho(central, "ship2", "before", "r.txt");
      await waitFor(() => readOr(central.file("signed", "ship2", "r.txt")), 15_000);

      await revoke(central, "ship2");
      await central.send({ toNode: "central", method: "REQKeyList", directory: "keys" });
      const list = await waitFor(
        () => readOr(central.file("keys", "central", "REQKeyList.result")),
        15_000,
        "key list",
      );
      assertMatch(list, /"node":"ship1","publicKey":"[^"]+","state":"approved"/);
      assertMatch(list, /"node":"ship2","publicKey":"[^"]+","state":"revoked"/);
      // Central refuses ship2's reply at once.
      await runEcho(central, "ship2", "after", "r.txt");
      await waitFor(
        async () => /no trusted key for node ship2/.test(await central.errorLog("central")),
        15_000,
        "central refusing ship2",
      );
      assertEquals(await readOr(central.file("signed", "ship2", "r.txt")), "before\n");
      // ship1 got the new trusted set and refuses ship2 too.
      await waitFor(
        async () => {
          await ship2.send({ toNode: "ship1", method: "REQPing", ACKTimeout: 1, retries: 0 });
          await delay(500);
          return /no trusted key for node ship2/.test(await central.errorLog("ship1"));
        },
        20_000,
        "ship1 refusing ship2",
      );
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "with -requireSignatures=false (a lab fleet), a sender whose key is trusted still cannot be " +
    "impersonated",
  opts,
  async () => {
    const broker = await Broker.start();
    const lab = {
      broker: broker.address,
      provision: false,
      flags: ["-startPubREQHello=1", "-requireSignatures=false", FIRST_USE],
    };
    const central = await Agent.start("central", lab);
    const ship1 = await Agent.start("ship1", lab);
    const nc = await connect({ servers: [broker.address] });
    try {
      const marker = join(ship1.dir, "marker.txt");
      const forged = (id: string) =>
        testMessage({
          id,
          method: "REQCliCommand",
          methodArgs: ["bash", "-c", `echo ${id} >> ${marker}`],
          ACKTimeout: 5,
          retries: 0,
          replyACKTimeout: 5,
          replyRetries: 0,
          methodTimeout: 5,
          replyMethodTimeout: 5,
          createdAt: Date.now(),
        });
      // Before ship1 knows central's key, an unsigned message claiming to be central runs (the
      // seed's zero-setup behaviour this flag keeps; broker auth is what protects such a fleet).
      assertEquals((await ask(nc, "ship1.REQCliCommand.CommandACK", forged("before"))).ok, true);
      await waitFor(async () => (await readOr(marker)) === "before\n", 10_000, "before");
      await approve(central, ship1);
      const ack = await ask(nc, "ship1.REQCliCommand.CommandACK", forged("after"));
      assertEquals(ack.ok, false);
      assertMatch(ack.error ?? "", /\(REQCliCommand\) from central is not signed/);
      // Central's real messages still run.
      await runEcho(central, "ship1", "real", "real.txt");
      await waitFor(() => readOr(central.file("signed", "ship1", "real.txt")), 15_000, "real");
      assertEquals(await readOr(marker), "before\n");
    } finally {
      await nc.close();
      await Promise.all([central.destroy(), ship1.destroy()]);
      await broker.stop();
    }
  },
);

Deno.test(
  "signed messages: a key pre-seeded in central's approved_keys/ is trusted from the node's " +
    "first message, and a revocation of it holds although the file stays",
  opts,
  async () => {
    const broker = await Broker.start();
    const fresh = { broker: broker.address, provision: false };
    const central = await Agent.start("central", fresh);
    const centralKey = (await readOr(join(central.dir, "etc", PUBLIC_KEY_FILE))).trim();
    const ship1 = await Agent.start("ship1", {
      ...fresh,
      flags: [`-centralPublicKey=${centralKey}`],
    });
    try {
      const shipKey = (await readOr(join(ship1.dir, "etc", PUBLIC_KEY_FILE))).trim();
      // What provisioning does: copy the node's steward_ed25519.pub into central's folder.
      await preApproveKey(join(central.dir, "etc", APPROVED_KEYS_FOLDER), "ship1", shipKey);
      await ship1.send({ toNode: "central", method: "REQPing", ACKTimeout: 2, retries: 2 });
      const pongs = await waitFor(() => readOr(ship1.file("ping", "central", "pong.log")), 15_000);
      assertMatch(pongs, /pong from central/);
      assertMatch(central.output, /approved the key of ship1 pre-seeded in .*ship1\.pub/);

      await revoke(central, "ship1");
      await waitFor(
        async () => {
          await ship1.send({ toNode: "central", method: "REQPing", ACKTimeout: 1, retries: 0 });
          await delay(300);
          return /no trusted key for node ship1/.test(await central.errorLog("central"));
        },
        20_000,
        "central refusing the revoked ship1",
      );
      assertEquals((await readOr(ship1.file("ping", "central", "pong.log"))).split("\n").length, 2);
    } finally {
      await Promise.all([central.destroy(), ship1.destroy()]);
      await broker.stop();
    }
  },
);

Deno.test(
  "signed ACKs: a forged ACK for a node that is down is not believed; the message is reported " +
    "undelivered",
  opts,
  async () => {
    const fleet = await Fleet.start(["central"]);
    const nc = await connect({ servers: [fleet.broker.address] });
    try {
      const central = fleet.get("central");
      await fleetKeys("ship1"); // ship1 is approved (pre-seeded) but not running.
      const mallory = await loadOrCreateNodeKeys(await Deno.makeTempDir());
      // Whoever can answer on the broker answers for ship1: once unsigned, then with another key.
      let answered = 0;
      nc.subscribe("ship1.REQCliCommand.CommandACK", {
        callback: (_e, m) => {
          const { id } = m.json<{ id: string }>();
          const ack = { id, ok: true };
          const forged = answered++ % 2 === 0 ? Promise.resolve(ack) : signMessage(ack, mallory);
          forged.then((a) => m.respond(new TextEncoder().encode(JSON.stringify(a))));
        },
      });
      await nc.flush();
      await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "never"],
        ACKTimeout: 1,
        retries: 1,
      });
      const log = await waitFor(
        async () => {
          const l = await central.errorLog("central");
          return /max retries reached/.test(l) ? l : "";
        },
        15_000,
        "central to give up on ship1",
      );
      assertMatch(log, /the ACK of \S+ from ship1 is not signed by the trusted key of ship1/);
      assertEquals(answered, 2);
    } finally {
      await nc.close();
      await fleet.stop();
    }
  },
);
