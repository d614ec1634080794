/**
 * Attacks on key collection, approval and rotation (issue 14, item 1) and on how a node learns
 * central's key (item 7). Each test plays the attacker on the broker with keys of its own.
 *
 * @module
 */
import { connect, type NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Agent, Broker, delay, Fleet, readOr, ROOT, waitFor } from "../harness.ts";
import { fleetKeys, provision } from "../pki.ts";
import { testMessage } from "../message_fixture.ts";
import { AGENT_ENTRY, agentDenoFlags } from "../../src/permissions.ts";
import { type NodeKeys, PUBLIC_KEY_FILE, toBase64 } from "../../src/security/node_keys.ts";
import { signMessage } from "../../src/security/signature.ts";
import { keyFingerprint } from "../../src/security/fingerprint.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const encoder = new TextEncoder();

/** A fresh key pair held only in memory: the attacker's. */
async function attackerKeys(): Promise<NodeKeys> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  return { publicKey: toBase64(raw), privateKey: pair.privateKey };
}

/** A hello to central claiming to come from `fromNode`, announcing `keys`, signed by `keys`. */
async function forgedHello(fromNode: string, keys: NodeKeys, extra: object = {}) {
  const hello = testMessage({
    id: `forged-${crypto.randomUUID()}`,
    toNode: "central",
    fromNode,
    method: "REQHello",
    data: `hello from ${fromNode}`,
    createdAt: Date.now(),
    publicKey: keys.publicKey,
    trustVersion: 0,
    ...extra,
  });
  return encoder.encode(JSON.stringify(await signMessage(hello, keys)));
}

/** Runs the agent binary as an operator would, with `agent`'s CONFIG_FOLDER. */
async function operator(agent: Agent, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...agentDenoFlags(), join(ROOT, AGENT_ENTRY), ...args],
    cwd: agent.dir,
    env: { CONFIG_FOLDER: join(agent.dir, "etc"), NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

/** Central's key registry as `REQKeyList` lists it (one JSON object per line). */
async function keyList(central: Agent): Promise<Record<string, unknown>[]> {
  const fileName = `list-${crypto.randomUUID()}.txt`;
  await central.send({ toNode: "central", method: "REQKeyList", directory: "keys", fileName });
  const text = await waitFor(
    () => readOr(central.file("keys", "central", fileName)),
    15_000,
    "key list",
  );
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

/** Central pings `ship` and waits for one more pong than before. */
async function pingPong(central: Agent, ship: string): Promise<void> {
  const pongs = async () => (await readOr(central.file("ping", ship, "pong.log"))).split("\n");
  const before = (await pongs()).length;
  await central.send({ toNode: ship, method: "REQPing", ACKTimeout: 2, retries: 2 });
  await waitFor(async () => (await pongs()).length > before, 15_000, `a pong from ${ship}`);
}

/** Counts the trusted sets central sends to `node`, as seen on the broker. */
function countTrustedSets(nc: NatsConnection, node: string): () => number {
  let count = 0;
  nc.subscribe(`${node}.REQTrustedKeys.>`, {
    callback: () => {
      count++;
    },
  });
  return () => count;
}

Deno.test(
  "keys attack: a forged hello claiming an approved node changes nothing, and the operator " +
    "cannot approve the attacker's key without naming it",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    const central = fleet.get("central");
    const nc = await connect({ servers: [fleet.broker.address] });
    try {
      await pingPong(central, "ship1"); // ship1 is approved (pre-seeded) and its pongs count.
      await delay(1000); // The trusted set sent for that approval has gone out.
      const sets = countTrustedSets(nc, "ship1");
      await nc.flush();
      const mallory = await attackerKeys();
      for (let i = 0; i < 5; i++) {
        nc.publish("central.REQHello.EventNACK", await forgedHello("ship1", mallory));
      }
      await nc.flush();
      await delay(1500);
      assertEquals(/CHANGED key of ship1/.test(central.output), false, central.output);
      assertEquals(sets(), 0, "no trusted set was sent");
      await pingPong(central, "ship1");
      // The refusal is logged, but not once per forged hello.
      assertEquals(central.output.split("ship1 refused").length - 1 <= 1, true, central.output);

      // The operator follows the old advice while forged hellos keep coming.
      nc.publish("central.REQHello.EventNACK", await forgedHello("ship1", mallory));
      const plain = await operator(central, "-approveKey=ship1");
      assert(plain.code !== 0, `-approveKey without a fingerprint must fail:\n${plain.text}`);
      const wrong = await operator(
        central,
        `-approveKey=ship1:${await keyFingerprint(mallory.publicKey)}`,
      );
      assert(wrong.code !== 0, `approving a key that is not pending must fail:\n${wrong.text}`);
      const list = await keyList(central);
      const ship1 = list.find((r) => r.node === "ship1");
      assertEquals(ship1?.state, "approved");
      assertEquals(ship1?.publicKey, (await fleetKeys("ship1")).publicKey);
      assertEquals(list.some((r) => r.publicKey === mallory.publicKey), false);
      await pingPong(central, "ship1");
    } finally {
      await nc.close();
      await fleet.stop();
    }
  },
);

Deno.test(
  "keys attack: a new node's key is approved only by its fingerprint; a key the operator did " +
    "not name is never approved",
  opts,
  async () => {
    const broker = await Broker.start();
    const central = await Agent.start("central", { broker: broker.address });
    const ship3 = await Agent.start("ship3", {
      broker: broker.address,
      provision: false,
      flags: ["-startPubREQHello=1", "-trustCentralOnFirstUse=true"],
    });
    const nc = await connect({ servers: [broker.address] });
    try {
      await waitFor(
        () => central.output.includes("new key of ship3 is pending approval"),
        15_000,
        "ship3's key pending",
      );
      const mallory = await attackerKeys();
      nc.publish("central.REQHello.EventNACK", await forgedHello("ship3", mallory));
      await nc.flush();
      const genuine = await keyFingerprint(await readOr(join(ship3.dir, "etc", PUBLIC_KEY_FILE)));
      assertMatch(central.output, new RegExp(`pending approval: ${genuine}`));
      const plain = await operator(central, "-approveKey=ship3");
      assert(plain.code !== 0, plain.text);
      assertMatch(plain.text, new RegExp(`pending: .*${genuine}`)); // Both keys are listed.
      assertMatch(plain.text, /-approveKey=ship3:<fingerprint>/);
      const ok = await operator(central, `-approveKey=ship3:${genuine}`);
      assertEquals(ok.code, 0, ok.text);
      await waitFor(() => ship3.output.includes("pinned central's key"), 15_000, "ship3 pinned");
      const list = await keyList(central);
      assertEquals(list.find((r) => r.node === "ship3")?.state, "approved");
      assertEquals(list.some((r) => r.publicKey === mallory.publicKey), false);
      await pingPong(central, "ship3");
    } finally {
      await nc.close();
      await Promise.all([central.destroy(), ship3.destroy()]);
      await broker.stop();
    }
  },
);

Deno.test(
  "keys attack: hellos with made-up names leave a bounded number of pending keys, which expire",
  opts,
  async () => {
    const broker = await Broker.start();
    const central = await Agent.start("central", {
      broker: broker.address,
      flags: ["-maxPendingKeys=5", "-pendingKeySeconds=3"],
    });
    const nc = await connect({ servers: [broker.address] });
    try {
      for (let i = 0; i < 20; i++) {
        nc.publish(
          "central.REQHello.EventNACK",
          await forgedHello(`rnd-${i}-${crypto.randomUUID().slice(0, 8)}`, await attackerKeys()),
        );
      }
      await nc.flush();
      await delay(1000);
      const pending = (await keyList(central)).filter((r) => r.state === "pending");
      assert(pending.length > 0 && pending.length <= 5, `${pending.length} pending keys`);
      await delay(3500);
      const later = (await keyList(central)).filter((r) => r.state === "pending");
      assertEquals(later.length, 0);
    } finally {
      await nc.close();
      await central.destroy();
      await broker.stop();
    }
  },
);

Deno.test(
  "keys attack: a key rotation is accepted only when signed by the node's approved key; " +
    "`steward -rotateKey` rotates end to end",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"], {
      flags: { ship1: ["-startPubREQHello=1"] },
    });
    const central = fleet.get("central");
    const ship1 = fleet.get("ship1");
    const nc = await connect({ servers: [fleet.broker.address] });
    try {
      await pingPong(central, "ship1");
      const old = (await fleetKeys("ship1")).publicKey;
      // The attacker proves it holds its own key, but cannot sign with ship1's.
      const mallory = await attackerKeys();
      const { rotationProof } = await import("../../src/security/key_rotation.ts");
      nc.publish(
        "central.REQHello.EventNACK",
        await forgedHello("ship1", mallory, {
          publicKey: old,
          newPublicKey: mallory.publicKey,
          newKeyProof: await rotationProof("ship1", old, mallory),
        }),
      );
      await nc.flush();
      await delay(1500);
      let ship1Key = (await keyList(central)).find((r) => r.node === "ship1")?.publicKey;
      assertEquals(ship1Key, old);

      const rotated = await operator(ship1, "-rotateKey");
      assertEquals(rotated.code, 0, rotated.text);
      await waitFor(
        () => ship1.output.includes("now signs with its new key"),
        20_000,
        "ship1 switching to its new key",
      );
      const fresh = (await readOr(join(ship1.dir, "etc", PUBLIC_KEY_FILE))).trim();
      assert(fresh !== old, "the key file holds the new key");
      ship1Key = (await keyList(central)).find((r) => r.node === "ship1")?.publicKey;
      assertEquals(ship1Key, fresh);
      await pingPong(central, "ship1");
      await ship1.restart();
      await pingPong(central, "ship1");
    } finally {
      await nc.close();
      await fleet.stop();
    }
  },
);

Deno.test(
  "TOFU attack: a rogue client's trusted set is not pinned by a fresh node; nothing runs, and " +
    "the real central is accepted later",
  opts,
  async () => {
    const broker = await Broker.start();
    const central = await Agent.start("central", { broker: broker.address });
    const dir = await Deno.makeTempDir({ prefix: "steward-ship1-" });
    // ship1's key is approved on central (pre-seeded), but ship1 is not told central's key.
    await provision("ship1", join(dir, "etc"), "central");
    let ship1 = await Agent.start("ship1", { broker: broker.address, dir, provision: false });
    const nc = await connect({ servers: [broker.address] });
    try {
      const rogue = await attackerKeys();
      const marker = join(dir, "owned.txt");
      const fromRogue = async (method: string, extra: object) =>
        encoder.encode(JSON.stringify(
          await signMessage(
            testMessage({
              id: `rogue-${crypto.randomUUID()}`,
              method,
              createdAt: Date.now(),
              ACKTimeout: 5,
              methodTimeout: 5,
              ...extra,
            }),
            rogue,
          ),
        ));
      const set = { version: 1, central: rogue.publicKey, keys: {} };
      for (let i = 0; i < 3; i++) {
        const ack = await nc.request(
          "ship1.REQTrustedKeys.CommandACK",
          await fromRogue("REQTrustedKeys", { data: JSON.stringify(set) }),
          { timeout: 5000 },
        );
        assertEquals(ack.json<{ ok: boolean }>().ok, false);
      }
      const ack = await nc.request(
        "ship1.REQCliCommand.CommandACK",
        await fromRogue("REQCliCommand", { methodArgs: ["touch", marker] }),
        { timeout: 5000 },
      );
      assertEquals(ack.json<{ ok: boolean }>().ok, false);
      await delay(1000);
      assertEquals(await readOr(marker), "", "the rogue's command did not run");
      assertEquals(ship1.output.includes("pinned central's key"), false, ship1.output);
      // Said once, with the fix.
      assertEquals(ship1.output.split("-centralPublicKey=").length - 1, 1, ship1.output);

      // The operator follows README: ship1 is given central's key, and central's set arrives.
      await ship1.stop();
      const centralKey = (await readOr(join(central.dir, "etc", PUBLIC_KEY_FILE))).trim();
      ship1 = await Agent.start("ship1", {
        broker: broker.address,
        dir,
        provision: false,
        flags: [`-centralPublicKey=${centralKey}`],
      });
      await pingPong(central, "ship1");
    } finally {
      await nc.close();
      await Promise.all([central.destroy(), ship1.destroy()]);
      await broker.stop();
    }
  },
);

Deno.test(
  "keys attack: a forged or tampered broadcast of the trusted set is refused; central's own " +
    "broadcast brings new keys to every node with no message per node",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1", "ship2"]);
    const [ship1, ship2] = [fleet.get("ship1"), fleet.get("ship2")];
    const nc = await connect({ servers: [fleet.broker.address] });
    const subject = "_STEWARD.central.trustedKeys";
    const genuine: Uint8Array[] = [];
    nc.subscribe(subject, { callback: (_err, msg) => void genuine.push(msg.data) });
    const sets = countTrustedSets(nc, "ship1");
    try {
      await nc.flush();
      await fleet.introduce(); // ship1 and ship2 ping central: their pre-seeded keys approved.
      assert(genuine.length > 0, "central broadcast the set");
      assertEquals(sets(), 0, "no trusted set was sent to ship1 alone");
      assertMatch(
        ship1.output,
        /trusted set version \d+ in force \(2 keys, broadcast by central\)/,
      );
      await pingPong(ship2, "ship1"); // ship1 verifies ship2's messages with the broadcast key.

      const mallory = await attackerKeys();
      const marker = join(ship1.dir, "owned.txt");
      const keys = {
        central: (await readOr(join(fleet.get("central").dir, "etc", PUBLIC_KEY_FILE))).trim(),
        ship1: (await fleetKeys("ship1")).publicKey,
        mallory: mallory.publicKey,
      };
      const set = (version: number) => JSON.stringify({ version, central: keys.central, keys });
      // Signed by the attacker, named for central.
      const forged = await signMessage(
        { kind: "trustedSet", fromNode: "central", data: set(1000) },
        mallory,
      );
      nc.publish(subject, encoder.encode(JSON.stringify(forged)));
      // Central's genuine broadcast with the attacker's key slipped in.
      const tampered = JSON.parse(new TextDecoder().decode(genuine.at(-1)!));
      tampered.data = set(JSON.parse(tampered.data).version + 1);
      nc.publish(subject, encoder.encode(JSON.stringify(tampered)));
      nc.publish(subject, encoder.encode("{not json"));
      await nc.flush();
      await delay(1000);
      const fromMallory = await signMessage(
        testMessage({
          id: `mallory-${crypto.randomUUID()}`,
          toNode: "ship1",
          fromNode: "mallory",
          method: "REQCliCommand",
          methodArgs: ["touch", marker],
          createdAt: Date.now(),
        }),
        mallory,
      );
      const ack = await nc.request(
        "ship1.REQCliCommand.CommandACK",
        encoder.encode(JSON.stringify(fromMallory)),
        { timeout: 5000 },
      );
      assertEquals(ack.json<{ ok: boolean }>().ok, false);
      await delay(500);
      assertEquals(await readOr(marker), "", "the attacker's command did not run");
      assertMatch(ship1.output, /trusted-set broadcast refused: not signed by central's key/);
      // One line for the three refusals (a flood costs a line a minute).
      assertEquals(ship1.output.split("trusted-set broadcast refused").length - 1, 1, ship1.output);
      await pingPong(ship2, "ship1");
    } finally {
      await nc.close();
      await fleet.stop();
    }
  },
);
