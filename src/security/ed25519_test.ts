import { assertEquals } from "../../test/assert.ts";
import { ed25519Sign, ed25519Verify } from "./ed25519.ts";
import { toBase64 } from "./node_keys.ts";

async function pair(extractable: boolean) {
  const keys = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    pkcs8,
    { name: "Ed25519" },
    extractable,
    [
      "sign",
    ],
  );
  const publicKey = toBase64(await crypto.subtle.exportKey("raw", keys.publicKey));
  return { privateKey, publicKey, webPublic: keys.publicKey };
}

const data = new TextEncoder().encode('{"id":"x","method":"REQPing"}');

Deno.test("ed25519Sign() makes the same signature WebCrypto makes, for any key", async () => {
  for (const extractable of [true, false]) {
    const k = await pair(extractable);
    const ours = await ed25519Sign(k.privateKey, data);
    const web = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, k.privateKey, data));
    assertEquals(toBase64(ours), toBase64(web));
    assertEquals(await crypto.subtle.verify({ name: "Ed25519" }, k.webPublic, ours, data), true);
  }
});

Deno.test("ed25519Verify() accepts a valid signature and refuses changes and bad keys", async () => {
  const k = await pair(true);
  const sig = await ed25519Sign(k.privateKey, data);
  assertEquals(await ed25519Verify(k.publicKey, sig, data), true);
  const changed = new TextEncoder().encode('{"id":"y","method":"REQPing"}');
  assertEquals(await ed25519Verify(k.publicKey, sig, changed), false);
  const other = await pair(true);
  assertEquals(await ed25519Verify(other.publicKey, sig, data), false);
  assertEquals(await ed25519Verify("bm90IGEga2V5", sig, data), false);
  assertEquals(await ed25519Verify(k.publicKey, new Uint8Array(64), data), false);
});
