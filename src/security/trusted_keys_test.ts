import { assertEquals } from "../../test/assert.ts";
import { TRUSTED_SET_FILE, TrustedKeys } from "./trusted_keys.ts";

function fleetSet(version: number, nodes: number) {
  const keys: Record<string, string> = {};
  for (let i = 0; i < nodes; i++) keys[`ship-${i}.atlantic.example.com`] = "k".repeat(43) + "=";
  return { version, central: "c".repeat(43) + "=", keys };
}

Deno.test("TrustedKeys keeps a set of 5000 nodes across a restart (over a KV value's 64 KiB)", async () => {
  const folder = await Deno.makeTempDir();
  const kv = await Deno.openKv(":memory:");
  try {
    const trusted = await TrustedKeys.open(kv, folder);
    assertEquals(await trusted.replace(fleetSet(3, 5000)), 3);
    assertEquals(await trusted.replace(fleetSet(2, 1)), 3, "an older set changes nothing");
    const reopened = await TrustedKeys.open(kv, folder);
    assertEquals(reopened.current?.version, 3);
    assertEquals(Object.keys(reopened.current!.keys).length, 5000);
    assertEquals(reopened.keyOf("ship-4999.atlantic.example.com"), "k".repeat(43) + "=");
    assertEquals(reopened.keyOf("constructor"), undefined, "nothing inherited");
    assertEquals((await Deno.stat(`${folder}/${TRUSTED_SET_FILE}`)).mode! & 0o777, 0o600);
  } finally {
    kv.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("TrustedKeys reads a set an earlier version kept in KV", async () => {
  const folder = await Deno.makeTempDir();
  const kv = await Deno.openKv(":memory:");
  try {
    await kv.set(["security", "trusted"], fleetSet(7, 3));
    const trusted = await TrustedKeys.open(kv, folder);
    assertEquals(trusted.current?.version, 7);
    assertEquals(await trusted.replace(fleetSet(8, 4)), 8);
    assertEquals((await TrustedKeys.open(kv, folder)).current?.version, 8);
  } finally {
    kv.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("TrustedKeys takes an unreadable file for no set: central sends it again", async () => {
  const folder = await Deno.makeTempDir();
  const kv = await Deno.openKv(":memory:");
  try {
    await Deno.writeTextFile(`${folder}/${TRUSTED_SET_FILE}`, '{"version": 3, "cen');
    const trusted = await TrustedKeys.open(kv, folder);
    assertEquals(trusted.current, undefined);
    assertEquals(await trusted.replace(fleetSet(4, 2)), 4);
  } finally {
    kv.close();
    await Deno.remove(folder, { recursive: true });
  }
});
