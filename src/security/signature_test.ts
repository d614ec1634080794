import { assertEquals } from "../../test/assert.ts";
import { canonicalJson } from "./canonical_json.ts";
import { loadOrCreateNodeKeys, PRIVATE_KEY_FILE } from "./node_keys.ts";
import { signedJson, signMessage, verifyMessage } from "./signature.ts";

Deno.test("canonicalJson() sorts keys at every level and drops undefined", () => {
  assertEquals(
    canonicalJson({ b: 1, a: { d: undefined, c: [2, { z: 1, y: 2 }] } }),
    '{"a":{"c":[2,{"y":2,"z":1}]},"b":1}',
  );
});

Deno.test("loadOrCreateNodeKeys() creates a 0600 key once and loads the same key again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await loadOrCreateNodeKeys(dir);
    assertEquals((await Deno.stat(`${dir}/${PRIVATE_KEY_FILE}`)).mode! & 0o777, 0o600);
    const b = await loadOrCreateNodeKeys(dir);
    assertEquals(a.publicKey, b.publicKey);
    assertEquals(a.publicKey.length, 44);
    await Deno.chmod(`${dir}/${PRIVATE_KEY_FILE}`, 0o644);
    let refused = "";
    await loadOrCreateNodeKeys(dir).catch((e) => refused = e.message);
    assertEquals(/readable by others/.test(refused), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verifyMessage() accepts a signed message and refuses any change to it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keys = await loadOrCreateNodeKeys(dir);
    const other = await loadOrCreateNodeKeys(`${dir}/other`);
    const wire = await signMessage({ id: "1", methodArgs: ["echo", "hi"], toNode: "s" }, keys, 5);
    assertEquals(wire.signedAt, 5);
    const raw = JSON.parse(JSON.stringify(wire));
    assertEquals(await verifyMessage(raw, keys.publicKey), true);
    assertEquals(await verifyMessage(raw, other.publicKey), false);
    assertEquals(await verifyMessage({ ...raw, methodArgs: ["rm", "hi"] }, keys.publicKey), false);
    assertEquals(await verifyMessage({ ...raw, signedAt: 6 }, keys.publicKey), false);
    assertEquals(await verifyMessage({ ...raw, extra: 1 }, keys.publicKey), false);
    const { signature: _s, ...unsigned } = raw;
    assertEquals(await verifyMessage(unsigned, keys.publicKey), false);
    // Key order on the wire does not matter.
    const reordered = Object.fromEntries(Object.entries(raw).reverse());
    assertEquals(await verifyMessage(reordered, keys.publicKey), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("signedJson() is signMessage's message as JSON text, signature included", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keys = await loadOrCreateNodeKeys(dir);
    const message = { id: "1", methodArgs: ["echo", "hi"], toNode: "s", signature: "old", d: '"' };
    const text = await signedJson(message, keys, 7);
    const raw = JSON.parse(text);
    assertEquals(raw, JSON.parse(JSON.stringify(await signMessage(message, keys, 7))));
    assertEquals(await verifyMessage(raw, keys.publicKey), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
