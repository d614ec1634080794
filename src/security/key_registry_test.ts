import { assertEquals } from "../../test/assert.ts";
import { KeyRegistry } from "./key_registry.ts";

Deno.test("KeyRegistry: a key is pending until approved; revocation and a changed key drop it", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const r = new KeyRegistry(kv);
    assertEquals(await r.announce("ship1", "K1"), "new");
    assertEquals(await r.announce("ship1", "K1"), "known");
    assertEquals((await r.trustedSet("C")).keys, {});
    await r.approve("ship1");
    const approved = await r.trustedSet("C");
    assertEquals(approved.keys, { ship1: "K1" });
    assertEquals(await r.announce("ship1", "K2"), "changed");
    assertEquals((await r.get("ship1"))?.state, "pending");
    assertEquals((await r.trustedSet("C")).keys, {});
    await r.approve("ship1");
    await r.revoke("ship1");
    const revoked = await r.trustedSet("C");
    assertEquals(revoked.keys, {});
    assertEquals(revoked.version > approved.version, true);
    assertEquals(await r.announce("ship1", "K2"), "known");
    assertEquals((await r.get("ship1"))?.state, "revoked");
  } finally {
    kv.close();
  }
});

Deno.test("KeyRegistry: concurrent approvals each get their own version", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const r = new KeyRegistry(kv);
    await Promise.all(["ship1", "ship2", "ship3"].map((n) => r.approve(n, `K-${n}`)));
    const set = await r.trustedSet("C");
    assertEquals(set.version, 3);
    assertEquals(Object.keys(set.keys).sort(), ["ship1", "ship2", "ship3"]);
  } finally {
    kv.close();
  }
});
