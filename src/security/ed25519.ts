/**
 * Ed25519 signing and verification on the message hot path.
 *
 * WebCrypto's Ed25519 costs ~150 µs per signature here (and importing the public key on each
 * verification more); `node:crypto` with a key object made once costs ~30 µs. Every message is
 * signed on every send, so this was ~0.3 ms of CPU per round trip. Signatures are identical
 * (Ed25519 is deterministic); WebCrypto remains the fallback for a key node:crypto refuses.
 *
 * @module
 */
import { createPublicKey, KeyObject, sign, verify } from "node:crypto";
import { fromBase64 } from "./node_keys.ts";

const privateKeys = new WeakMap<CryptoKey, KeyObject | null>();
// Keyed by the base64 public key; bounded, since central also checks keys it was just sent.
const publicKeys = new Map<string, KeyObject | null>();
const MAX_PUBLIC_KEYS = 1024;

function privateKeyObject(key: CryptoKey): KeyObject | null {
  let ko = privateKeys.get(key);
  if (ko === undefined) {
    try {
      ko = KeyObject.from(key);
    } catch {
      ko = null; // Not extractable into node:crypto: use WebCrypto.
    }
    privateKeys.set(key, ko);
  }
  return ko;
}

function publicKeyObject(publicKey: string): KeyObject | null {
  let ko = publicKeys.get(publicKey);
  if (ko === undefined) {
    try {
      if (fromBase64(publicKey).length !== 32) throw new Error("not an Ed25519 public key");
      const x = publicKey.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
      ko = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    } catch {
      ko = null;
    }
    if (publicKeys.size >= MAX_PUBLIC_KEYS) publicKeys.clear();
    publicKeys.set(publicKey, ko);
  }
  return ko;
}

/**
 * Signs `data` with an Ed25519 private key.
 *
 * @example
 * ```ts
 * import { ed25519Sign, ed25519Verify } from "./ed25519.ts";
 * const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]) as CryptoKeyPair;
 * const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
 * const data = new TextEncoder().encode("hello");
 * const sig = await ed25519Sign(pair.privateKey, data);
 * console.assert(await ed25519Verify(btoa(String.fromCharCode(...raw)), sig, data));
 * ```
 */
export async function ed25519Sign(
  privateKey: CryptoKey,
  data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const ko = privateKeyObject(privateKey);
  if (ko) return new Uint8Array(sign(null, data, ko));
  return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, data));
}

/**
 * Checks an Ed25519 `signature` of `data` by `publicKey` (raw key, base64); false for a
 * malformed key or signature.
 *
 * @example
 * ```ts ignore
 * import { ed25519Verify } from "./ed25519.ts";
 * await ed25519Verify(trustedKey, signatureBytes, bytes); // true or false
 * ```
 */
export async function ed25519Verify(
  publicKey: string,
  signature: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  try {
    const ko = publicKeyObject(publicKey);
    if (ko) return verify(null, data, ko, signature);
    const key = await crypto.subtle.importKey(
      "raw",
      fromBase64(publicKey),
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, data);
  } catch {
    return false;
  }
}
