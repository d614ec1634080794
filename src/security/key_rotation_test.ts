import { assertEquals } from "../../test/assert.ts";
import { join } from "node:path";
import {
  createNextKeys,
  loadNextKeys,
  promoteNextKeys,
  rotationProof,
  verifyRotationProof,
} from "./key_rotation.ts";
import { loadOrCreateNodeKeys, PRIVATE_KEY_FILE } from "./node_keys.ts";

Deno.test("verifyRotationProof() holds only for the node, old key and new key it was made for", async () => {
  const folder = await Deno.makeTempDir();
  try {
    const old = await loadOrCreateNodeKeys(folder);
    const next = await createNextKeys(folder);
    const other = await loadOrCreateNodeKeys(await Deno.makeTempDir());
    const proof = await rotationProof("ship1", old.publicKey, next);
    assertEquals(await verifyRotationProof("ship1", old.publicKey, next.publicKey, proof), true);
    assertEquals(await verifyRotationProof("ship2", old.publicKey, next.publicKey, proof), false);
    assertEquals(await verifyRotationProof("ship1", other.publicKey, next.publicKey, proof), false);
    assertEquals(await verifyRotationProof("ship1", old.publicKey, other.publicKey, proof), false);
    assertEquals(await verifyRotationProof("ship1", old.publicKey, next.publicKey, "x"), false);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("promoteNextKeys() makes the next key the node's key, 0600, and ends the rotation", async () => {
  const folder = await Deno.makeTempDir();
  try {
    await loadOrCreateNodeKeys(folder);
    assertEquals(await loadNextKeys(folder), undefined);
    const next = await createNextKeys(folder);
    assertEquals((await createNextKeys(folder)).publicKey, next.publicKey); // Started once.
    assertEquals((await loadNextKeys(folder))?.publicKey, next.publicKey);
    const promoted = await promoteNextKeys(folder);
    assertEquals(promoted.publicKey, next.publicKey);
    assertEquals((await loadOrCreateNodeKeys(folder)).publicKey, next.publicKey);
    assertEquals((await Deno.stat(join(folder, PRIVATE_KEY_FILE))).mode! & 0o777, 0o600);
    assertEquals(await loadNextKeys(folder), undefined);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
