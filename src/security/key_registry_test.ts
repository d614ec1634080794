import { assertEquals, assertMatch, assertRejects } from "../../test/assert.ts";
import { keyFingerprint } from "./fingerprint.ts";
import { KeyRegistry } from "./key_registry.ts";

const key = (c: string) => c.repeat(43) + "=";
const K1 = key("A");
const K2 = key("B");
const K3 = key("C");

async function withRegistry(
  test: (r: KeyRegistry, clock: { now: number }) => Promise<void>,
  options: { maxPending?: number; pendingMs?: number } = {},
) {
  const kv = await Deno.openKv(":memory:");
  const clock = { now: 1_000_000 };
  try {
    await test(new KeyRegistry(kv, { ...options, now: () => clock.now }), clock);
  } finally {
    kv.close();
  }
}

Deno.test("KeyRegistry.approve() approves a pending key only by its fingerprint", async () => {
  await withRegistry(async (r) => {
    assertEquals(await r.addPending("ship1", K1), "new");
    assertEquals(await r.addPending("ship1", K1), "known");
    assertEquals(await r.addPending("ship1", K2), "new"); // An impostor's key waits beside it.
    const refused = await assertRejects(() => r.approve("ship1"), /name the key to approve/);
    assertEquals(refused.name, "KeyRegistryError");
    assertMatch(refused.message, new RegExp(await keyFingerprint(K1)));
    assertMatch(refused.message, new RegExp(await keyFingerprint(K2)));
    const f3 = await keyFingerprint(K3);
    await assertRejects(() => r.approve("ship1", f3), /no pending key/);
    assertEquals((await r.trustedSet("C")).keys, {});
    await r.approve("ship1", await keyFingerprint(K1));
    assertEquals((await r.trustedSet("C")).keys, { ship1: K1 });
    assertEquals(await r.pendingOf("ship1"), []); // The other pending key is dropped.
  });
});

Deno.test("KeyRegistry: an approved key is never displaced by an announcement", async () => {
  await withRegistry(async (r) => {
    await r.approve("ship1", K1);
    await assertRejects(() => r.addPending("ship1", K2), /approved key/);
    assertEquals((await r.trustedSet("C")).keys, { ship1: K1 });
  });
});

Deno.test("KeyRegistry.rotate() replaces only the approved key, keeping the old one for a grace", async () => {
  await withRegistry(async (r, clock) => {
    await r.approve("ship1", K1);
    await assertRejects(() => r.rotate("ship1", K2, K3, 1000), /is not approved/);
    const before = (await r.trustedSet("C")).version;
    const rotated = await r.rotate("ship1", K1, K2, 5000);
    assertEquals(rotated.previousKey, K1);
    assertEquals(rotated.previousUntil, clock.now + 5000);
    const set = await r.trustedSet("C");
    assertEquals(set.keys, { ship1: K2 });
    assertEquals(set.version, before + 1);
  });
});

Deno.test("KeyRegistry: revocation holds, and a revoked node may have a new key pending", async () => {
  await withRegistry(async (r) => {
    await r.approve("ship1", K1);
    const approved = await r.trustedSet("C");
    await r.revoke("ship1");
    const revoked = await r.trustedSet("C");
    assertEquals(revoked.keys, {});
    assertEquals(revoked.version > approved.version, true);
    assertEquals((await r.get("ship1"))?.state, "revoked");
    assertEquals(await r.addPending("ship1", K2), "new");
    assertEquals((await r.get("ship1"))?.publicKey, K1); // The revoked key stays recorded.
    await assertRejects(() => r.revoke("nobody"), /no key of nobody/);
  });
});

Deno.test("KeyRegistry: pending keys are capped (oldest dropped) and expire", async () => {
  await withRegistry(async (r, clock) => {
    for (let i = 0; i < 5; i++) {
      clock.now += 1;
      await r.addPending(`rnd-${i}`, K1);
    }
    const pending = (await r.list()).filter((p) => p.state === "pending").map((p) => p.node);
    assertEquals(pending.sort(), ["rnd-2", "rnd-3", "rnd-4"]);
    clock.now += 10_000;
    assertEquals((await r.list()).filter((p) => p.state === "pending"), []);
    assertEquals(await r.pendingOf("rnd-4"), []);
    assertEquals(await r.addPending("rnd-4", K1), "new"); // An expired key may be announced again.
  }, { maxPending: 3, pendingMs: 10_000 });
});

Deno.test("KeyRegistry: concurrent approvals each get their own version", async () => {
  await withRegistry(async (r) => {
    await Promise.all(["ship1", "ship2", "ship3"].map((n, i) => r.approve(n, [K1, K2, K3][i])));
    const set = await r.trustedSet("C");
    assertEquals(set.version, 3);
    assertEquals(Object.keys(set.keys).sort(), ["ship1", "ship2", "ship3"]);
  });
});

Deno.test("KeyRegistry.isRetired() names revoked keys and keys a rotation replaced", async () => {
  await withRegistry(async (r) => {
    await r.approve("ship1", K1);
    await r.rotate("ship1", K1, K2, 1000);
    assertEquals(await r.isRetired("ship1", K1), true);
    assertEquals(await r.isRetired("ship1", K2), false);
    await r.revoke("ship1");
    assertEquals(await r.isRetired("ship1", K2), true);
    assertEquals(await r.isRetired("ship1", K1), true);
    assertEquals(await r.isRetired("ship2", K1), false);
  });
});
