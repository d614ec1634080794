import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import { type Config, defaultConfig } from "../config.ts";
import type { InputMessage, Message } from "../message/schema.ts";
import { preApproveKey } from "./approved_keys.ts";
import { keyFingerprint } from "./fingerprint.ts";
import { rotationProof } from "./key_rotation.ts";
import { type NodeKeys, toBase64 } from "./node_keys.ts";
import { Security } from "./security.ts";
import { signMessage } from "./signature.ts";

/** A Security of node `name` on an in-memory KV, with what it logs and sends. */
async function open(name: string, overrides: Partial<Config> = {}) {
  const kv = await Deno.openKv(":memory:");
  const folder = await Deno.makeTempDir();
  const logs: string[] = [];
  const sent: InputMessage[] = [];
  const config = defaultConfig({
    nodeName: name,
    centralNodeName: "central",
    approvedKeysFolder: join(folder, "approved"),
    databaseFolder: folder,
    ...overrides,
  });
  const security = await Security.open(kv, config, {
    configFolder: folder,
    send: (m) => {
      sent.push(m);
      return Promise.resolve();
    },
    log: (line) => logs.push(line),
  });
  const close = async () => {
    kv.close();
    await Deno.remove(folder, { recursive: true });
  };
  return { security, logs, sent, folder, close };
}

/** A key pair held in memory only. */
async function keysIn(): Promise<NodeKeys> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  return { publicKey: toBase64(raw), privateKey: pair.privateKey };
}

/** A message `overrides` as `keys` signs it: the parsed message and the raw JSON. */
async function signed(keys: NodeKeys, overrides: Partial<Message>) {
  const message = testMessage({ id: crypto.randomUUID(), createdAt: Date.now(), ...overrides });
  const raw = JSON.parse(JSON.stringify(await signMessage(message, keys)));
  return { message, raw };
}

function hello(fromNode: string, extra: Partial<Message> & Record<string, unknown> = {}) {
  return { toNode: "central", fromNode, method: "REQHello", ...extra } as Partial<Message>;
}

Deno.test("Security (central): a hello not signed by a node's approved key changes nothing and is logged once", async () => {
  const central = await open("central");
  try {
    const ship1 = await keysIn();
    const mallory = await keysIn();
    await preApproveKey(join(central.folder, "approved"), "ship1", ship1.publicKey);
    await central.security.approve("ship1", ship1.publicKey);
    const sentBefore = central.sent.length;
    for (let i = 0; i < 3; i++) {
      const { message, raw } = await signed(
        mallory,
        hello("ship1", { publicKey: mallory.publicKey }),
      );
      const refusal = await central.security.admit(message, raw);
      assertMatch(refusal ?? "", /not signed by the approved key of ship1/);
      assert(central.security.refusedQuietly(message.id), "not reported per message");
    }
    assertEquals(central.logs.filter((l) => /claiming to be from ship1/.test(l)).length, 1);
    assertEquals(central.sent.length, sentBefore);
    const record = await central.security.registry!.get("ship1");
    assertEquals(record?.publicKey, ship1.publicKey);
    assertEquals(await central.security.registry!.pendingOf("ship1"), []);
    // ship1's own messages are still admitted.
    const { message, raw } = await signed(ship1, hello("ship1", { publicKey: ship1.publicKey }));
    assertEquals(await central.security.admit(message, raw), undefined);
  } finally {
    await central.close();
  }
});

Deno.test("Security (central): a new node's key is pending, logged with its fingerprint", async () => {
  const central = await open("central");
  try {
    const ship3 = await keysIn();
    const { message, raw } = await signed(ship3, hello("ship3", { publicKey: ship3.publicKey }));
    assertMatch(await central.security.admit(message, raw) ?? "", /pending approval/);
    const fingerprint = await keyFingerprint(ship3.publicKey);
    assertMatch(central.logs.join("\n"), new RegExp(`-approveKey=ship3:${fingerprint}`));
    assertEquals((await central.security.registry!.pendingOf("ship3")).length, 1);
  } finally {
    await central.close();
  }
});

Deno.test("Security (central): a rotation needs the approved key's signature and the new key's proof; the old key is believed only for the replay window", async () => {
  const central = await open("central", { replayWindow: 1, dedupRetentionSeconds: 2 });
  try {
    const old = await keysIn();
    const next = await keysIn();
    const mallory = await keysIn();
    await central.security.approve("ship1", old.publicKey);
    const ask = async (signer: NodeKeys, newKey: NodeKeys, proofBy: NodeKeys) => {
      const proof = await rotationProof("ship1", old.publicKey, proofBy);
      const { message, raw } = await signed(
        signer,
        hello("ship1", {
          publicKey: old.publicKey,
          newPublicKey: newKey.publicKey,
          newKeyProof: proof,
        }),
      );
      return await central.security.admit(message, raw);
    };
    const keyOfShip1 = async () => (await central.security.registry!.get("ship1"))?.publicKey;
    await ask(mallory, mallory, mallory); // Not signed by the approved key.
    assertEquals(await keyOfShip1(), old.publicKey);
    await ask(old, next, mallory); // Signed by it, but the proof is not the new key's.
    assertEquals(await keyOfShip1(), old.publicKey);
    assertEquals(await ask(old, next, next), undefined);
    assertEquals(await keyOfShip1(), next.publicKey);
    assertMatch(central.logs.join("\n"), /rotated the key of ship1/);
    assertEquals(central.sent.at(-1)?.method, "REQTrustedKeys");
    // What ship1 signed with its old key just before it switched is still believed, briefly.
    const ping = { toNode: "central", fromNode: "ship1", method: "REQPing" };
    const before = await signed(old, ping);
    assertEquals(await central.security.admit(before.message, before.raw), undefined);
    await new Promise((r) => setTimeout(r, 1100));
    const after = await signed(old, ping);
    assertMatch(await central.security.admit(after.message, after.raw) ?? "", /signature/);
    const fresh = await signed(next, ping);
    assertEquals(await central.security.admit(fresh.message, fresh.raw), undefined);
  } finally {
    await central.close();
  }
});

Deno.test("Security (central): a pre-seeded file left behind never brings back a key a rotation replaced", async () => {
  const central = await open("central");
  try {
    const old = await keysIn();
    const next = await keysIn();
    await preApproveKey(join(central.folder, "approved"), "ship1", old.publicKey);
    const ping = { toNode: "central", fromNode: "ship1", method: "REQPing" };
    const first = await signed(old, ping);
    assertEquals(await central.security.admit(first.message, first.raw), undefined);
    const proof = await rotationProof("ship1", old.publicKey, next);
    const rotation = await signed(
      old,
      hello("ship1", {
        publicKey: old.publicKey,
        newPublicKey: next.publicKey,
        newKeyProof: proof,
      }),
    );
    assertEquals(await central.security.admit(rotation.message, rotation.raw), undefined);
    await central.security.revoke("ship1");
    const again = await signed(old, ping);
    assertMatch(await central.security.admit(again.message, again.raw) ?? "", /no trusted key/);
    assertEquals((await central.security.registry!.get("ship1"))?.state, "revoked");
  } finally {
    await central.close();
  }
});

Deno.test("Security (a node): without -centralPublicKey or the opt-in, no trusted set is pinned; said once", async () => {
  const ship1 = await open("ship1");
  try {
    const rogue = await keysIn();
    for (let i = 0; i < 3; i++) {
      const set = { version: 1, central: rogue.publicKey, keys: {} };
      const { message, raw } = await signed(rogue, {
        toNode: "ship1",
        fromNode: "central",
        method: "REQTrustedKeys",
        data: JSON.stringify(set),
      });
      assertMatch(
        await ship1.security.admit(message, raw) ?? "",
        /does not know central's key/,
      );
    }
    assertEquals(ship1.logs.filter((l) => l.includes("-centralPublicKey=")).length, 1);
    assertEquals(ship1.security.trusted.current, undefined);
  } finally {
    await ship1.close();
  }
});

Deno.test("Security (a node): with -trustCentralOnFirstUse the first validly signed set is pinned", async () => {
  const ship1 = await open("ship1", { trustCentralOnFirstUse: true });
  try {
    const central = await keysIn();
    const set = { version: 1, central: central.publicKey, keys: {} };
    const { message, raw } = await signed(central, {
      toNode: "ship1",
      fromNode: "central",
      method: "REQTrustedKeys",
      data: JSON.stringify(set),
    });
    assertEquals(await ship1.security.admit(message, raw), undefined);
    await ship1.security.acceptTrustedSet(message.data);
    assertEquals(ship1.security.keyOf("central"), central.publicKey);
  } finally {
    await ship1.close();
  }
});
