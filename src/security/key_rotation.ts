/**
 * Key rotation signed by the old key. A node that starts a rotation keeps a next key pair beside
 * its key and announces it in its hellos (signed by its approved key) with a proof that it holds
 * the next key; central replaces the key and distributes the set; the node signs with the next
 * key once central's set names it.
 *
 * @module
 */
import { join } from "node:path";
import { ed25519Sign, ed25519Verify } from "./ed25519.ts";
import {
  fromBase64,
  loadOrCreateNodeKeys,
  type NodeKeys,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  toBase64,
} from "./node_keys.ts";

/** Folder, inside the config folder, of the next key pair while a rotation is under way. */
export const ROTATION_FOLDER = "rotation";

const encoder = new TextEncoder();

/** What the proof signs: it binds the new key to this node and to the key it replaces. */
function proofText(node: string, oldKey: string, newKey: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`steward key rotation\n${node}\n${oldKey}\n${newKey}`);
}

/**
 * The proof that the holder of `next` asks to replace `oldKey` as `node`'s key: a signature by
 * `next` (base64). Sent in a hello signed by `oldKey`, so central believes both halves.
 *
 * @example
 * ```ts
 * import { createNextKeys, rotationProof } from "./key_rotation.ts";
 * import { loadOrCreateNodeKeys } from "./node_keys.ts";
 * const folder = await Deno.makeTempDir();
 * const keys = await loadOrCreateNodeKeys(folder);
 * const proof = await rotationProof("ship1", keys.publicKey, await createNextKeys(folder));
 * await Deno.remove(folder, { recursive: true });
 * ```
 */
export async function rotationProof(
  node: string,
  oldKey: string,
  next: NodeKeys,
): Promise<string> {
  return toBase64(
    await ed25519Sign(next.privateKey, proofText(node, oldKey, next.publicKey)),
  );
}

/**
 * Whether `proof` is `newKey`'s signature of the rotation of `node` from `oldKey`.
 *
 * @example
 * ```ts
 * import { createNextKeys, rotationProof, verifyRotationProof } from "./key_rotation.ts";
 * import { loadOrCreateNodeKeys } from "./node_keys.ts";
 * const folder = await Deno.makeTempDir();
 * const old = await loadOrCreateNodeKeys(folder);
 * const next = await createNextKeys(folder);
 * const proof = await rotationProof("ship1", old.publicKey, next);
 * await verifyRotationProof("ship1", old.publicKey, next.publicKey, proof); // true
 * await verifyRotationProof("ship2", old.publicKey, next.publicKey, proof); // false
 * await Deno.remove(folder, { recursive: true });
 * ```
 */
export async function verifyRotationProof(
  node: string,
  oldKey: string,
  newKey: string,
  proof: string,
): Promise<boolean> {
  try {
    return await ed25519Verify(newKey, fromBase64(proof), proofText(node, oldKey, newKey));
  } catch {
    return false;
  }
}

/**
 * The next key pair of a rotation under way in `configFolder`, if any.
 *
 * @example
 * ```ts
 * import { loadNextKeys } from "./key_rotation.ts";
 * const folder = await Deno.makeTempDir();
 * await loadNextKeys(folder); // undefined: no rotation is under way
 * await Deno.remove(folder);
 * ```
 */
export async function loadNextKeys(configFolder: string): Promise<NodeKeys | undefined> {
  const folder = join(configFolder, ROTATION_FOLDER);
  const exists = await Deno.stat(join(folder, PRIVATE_KEY_FILE)).then(() => true, () => false);
  return exists ? await loadOrCreateNodeKeys(folder) : undefined;
}

/**
 * Creates (or loads, when a rotation is already under way) the next key pair in
 * `configFolder`; its private key file is 0600 in a 0700 folder.
 *
 * @example
 * ```ts
 * import { createNextKeys, loadNextKeys } from "./key_rotation.ts";
 * const folder = await Deno.makeTempDir();
 * const next = await createNextKeys(folder);
 * (await loadNextKeys(folder))?.publicKey === next.publicKey; // true
 * await Deno.remove(folder, { recursive: true });
 * ```
 */
export async function createNextKeys(configFolder: string): Promise<NodeKeys> {
  const folder = join(configFolder, ROTATION_FOLDER);
  await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  try {
    return await loadOrCreateNodeKeys(folder);
  } catch (err) {
    // Two rotations started at the same moment: take the key the other one wrote.
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    return await loadOrCreateNodeKeys(folder);
  }
}

/**
 * Makes the next key pair the node's key: its private key file replaces the node's (one
 * rename, so a crash leaves either the old key or the new one, never none) and the public key
 * file is rewritten. Returns the new keys.
 *
 * @example
 * ```ts
 * import { createNextKeys, promoteNextKeys } from "./key_rotation.ts";
 * import { loadOrCreateNodeKeys } from "./node_keys.ts";
 * const folder = await Deno.makeTempDir();
 * await loadOrCreateNodeKeys(folder);
 * const next = await createNextKeys(folder);
 * (await promoteNextKeys(folder)).publicKey === next.publicKey; // true
 * await Deno.remove(folder, { recursive: true });
 * ```
 */
export async function promoteNextKeys(configFolder: string): Promise<NodeKeys> {
  const folder = join(configFolder, ROTATION_FOLDER);
  await Deno.rename(join(folder, PRIVATE_KEY_FILE), join(configFolder, PRIVATE_KEY_FILE));
  const keys = await loadOrCreateNodeKeys(configFolder);
  await Deno.remove(join(folder, PUBLIC_KEY_FILE)).catch(() => {});
  await Deno.remove(folder).catch(() => {});
  return keys;
}
