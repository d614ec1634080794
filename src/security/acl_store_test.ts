import { assertEquals, assertRejects } from "../../test/assert.ts";
import { AclStore, readAclFile } from "./acl_store.ts";

Deno.test("AclStore keeps the newest valid ACL in KV and acl.json, refusing stale ones", async () => {
  const kv = await Deno.openKv(":memory:");
  const dir = await Deno.makeTempDir();
  try {
    const store = await AclStore.open(kv, dir, "central");
    assertEquals(store.current.version, 0);
    assertEquals(await store.update({ version: 2, rules: [] }), 2);
    await assertRejects(() => store.update({ version: 2, rules: [] }), /not newer than version 2/);
    await assertRejects(() => store.update({ version: 3, rules: [{ from: [] }] }), /invalid ACL/);
    assertEquals((await readAclFile(dir))?.version, 2);
    // A hand-written file with a higher version wins at the next start.
    await Deno.writeTextFile(`${dir}/acl.json`, JSON.stringify({ version: 5, rules: [] }));
    assertEquals((await AclStore.open(kv, dir, "central")).current.version, 5);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AclStore: of two updates arriving together, the newer stays in force", async () => {
  const kv = await Deno.openKv(":memory:");
  const dir = await Deno.makeTempDir();
  try {
    const store = await AclStore.open(kv, dir, "central");
    const results = await Promise.allSettled([
      store.update({ version: 3, rules: [] }),
      store.update({ version: 2, rules: [] }),
    ]);
    assertEquals(results.map((r) => r.status), ["fulfilled", "rejected"]);
    assertEquals(store.current.version, 3);
    assertEquals((await readAclFile(dir))?.version, 3);
    assertEquals((await AclStore.open(kv, dir, "central")).current.version, 3);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
