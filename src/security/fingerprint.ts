/**
 * Short, unambiguous names of public keys for operators: what the log shows and what
 * `-approveKey=<node>:<fingerprint>` must repeat.
 *
 * @module
 */
import { fromBase64 } from "./node_keys.ts";

/** What every fingerprint starts with (the hash it is made of). */
export const FINGERPRINT_PREFIX = "SHA256:";

/**
 * The fingerprint of an Ed25519 public key (base64 of its raw 32 bytes, as in
 * `steward_ed25519.pub`): `SHA256:` and the unpadded base64url of the SHA-256 of the raw key.
 *
 * @throws {Error} when `publicKey` is not base64.
 * @example
 * ```ts
 * import { keyFingerprint } from "./fingerprint.ts";
 * const f = await keyFingerprint("A".repeat(43) + "=");
 * f.startsWith("SHA256:"); // true
 * ```
 */
export async function keyFingerprint(publicKey: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", fromBase64(publicKey.trim()));
  return FINGERPRINT_PREFIX + new Uint8Array(digest).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

/**
 * Whether `text` has the shape of a fingerprint (not whether any key has it).
 *
 * @example
 * ```ts
 * import { isFingerprint } from "./fingerprint.ts";
 * isFingerprint("SHA256:" + "a".repeat(43)); // true
 * isFingerprint("ship1"); // false
 * ```
 */
export function isFingerprint(text: string): boolean {
  return /^SHA256:[A-Za-z0-9_-]{43}$/.test(text);
}
