import { canonicalJson } from "./canonical_json.ts";
import { ed25519Sign, ed25519Verify } from "./ed25519.ts";
import { fromBase64, type NodeKeys, toBase64 } from "./node_keys.ts";

const encoder = new TextEncoder();

/** The wire fields a signature adds to a message. */
export interface SignatureFields {
  /** Milliseconds since the epoch when the sender signed (this send attempt). */
  signedAt: number;
  /** Ed25519 signature (base64) of the canonical JSON of every other field. */
  signature: string;
}

/**
 * Signs a message for the wire: sets `signedAt` to now and signs the canonical JSON of every
 * field (method, nodes, arguments, data, id, timestamps) except `signature` itself.
 *
 * @example
 * ```ts ignore
 * import { signMessage } from "./signature.ts";
 * const wire = await signMessage({ id: "1", method: "REQPing" }, keys);
 * wire.signature; // base64
 * ```
 */
export async function signMessage<T extends object>(
  message: T,
  keys: NodeKeys,
  now: number = Date.now(),
): Promise<T & SignatureFields> {
  const { signature: _old, ...rest } = message as T & { signature?: string };
  const unsigned = { ...rest, signedAt: now };
  const sig = await ed25519Sign(keys.privateKey, encoder.encode(canonicalJson(unsigned)));
  return { ...unsigned, signature: toBase64(sig) } as T & SignatureFields;
}

/**
 * The JSON text to send for `message`, signed now: the canonical JSON that is signed, with the
 * `signature` field added as its last member. Same fields and signature as
 * `JSON.stringify(await signMessage(message, keys, now))`, with one serialisation instead of two
 * (the receiver parses it and signs nothing over the wire text itself).
 *
 * @example
 * ```ts ignore
 * import { signedJson } from "./signature.ts";
 * const text = await signedJson({ id: "1", method: "REQPing" }, keys);
 * ```
 */
export async function signedJson(
  message: object,
  keys: NodeKeys,
  now: number = Date.now(),
): Promise<string> {
  const { signature: _old, ...rest } = message as { signature?: string };
  // Never "{}": signedAt is always there.
  const text = canonicalJson({ ...rest, signedAt: now });
  const sig = await ed25519Sign(keys.privateKey, encoder.encode(text));
  return `${text.slice(0, -1)},"signature":${JSON.stringify(toBase64(sig))}}`;
}

/**
 * Checks that `raw` (the message exactly as received, before any defaults are applied) carries a
 * valid signature by `publicKey` over all its other fields.
 *
 * @example
 * ```ts ignore
 * import { verifyMessage } from "./signature.ts";
 * await verifyMessage(JSON.parse(text), trustedKeyOfSender); // true or false
 * ```
 */
export async function verifyMessage(
  raw: Record<string, unknown>,
  publicKey: string,
): Promise<boolean> {
  const { signature, ...rest } = raw;
  if (typeof signature !== "string") return false;
  try {
    return await ed25519Verify(
      publicKey,
      fromBase64(signature),
      encoder.encode(canonicalJson(rest)),
    );
  } catch {
    return false; // A malformed key or signature is just not a valid signature.
  }
}
