import { join } from "node:path";

/** A node's Ed25519 signing key pair; `publicKey` is the raw 32 bytes in base64. */
export interface NodeKeys {
  publicKey: string;
  privateKey: CryptoKey;
}

/** File of the private key (PKCS#8, base64) inside the config folder; mode 0600. */
export const PRIVATE_KEY_FILE = "steward_ed25519.key";
/** File of the public key (raw, base64) inside the config folder. */
export const PUBLIC_KEY_FILE = "steward_ed25519.pub";

/** Base64 of `bytes` (native: this runs for every signature sent). */
export function toBase64(bytes: ArrayBuffer | Uint8Array): string {
  return (bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toBase64();
}

/** Bytes of base64 `text`; throws on bad input. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.fromBase64(text);
}

/**
 * Loads the node's signing keys from `folder`, creating them on first start. The private key
 * file is created with mode 0600 (readable only by the agent's user) and re-checked on load.
 *
 * @throws {Error} when the key file is unreadable, malformed, or readable by others.
 * @example
 * ```ts ignore
 * import { loadOrCreateNodeKeys } from "./node_keys.ts";
 * const keys = await loadOrCreateNodeKeys("./etc");
 * console.log(keys.publicKey); // 44 base64 characters
 * ```
 */
export async function loadOrCreateNodeKeys(folder: string): Promise<NodeKeys> {
  const privatePath = join(folder, PRIVATE_KEY_FILE);
  let pkcs8: Uint8Array<ArrayBuffer>;
  try {
    const info = await Deno.stat(privatePath);
    if (info.mode !== null && (info.mode & 0o077) !== 0) {
      throw new Error(
        `Cannot use the signing key ${privatePath}: it is readable by others ` +
          `(mode ${(info.mode & 0o777).toString(8)}); run chmod 600 on it`,
      );
    }
    pkcs8 = fromBase64((await Deno.readTextFile(privatePath)).trim());
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
    // createNew: two agents racing on one folder must not overwrite each other's key.
    await Deno.writeTextFile(privatePath, toBase64(pkcs8) + "\n", { mode: 0o600, createNew: true });
    await Deno.chmod(privatePath, 0o600);
  }
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, [
    "sign",
  ]);
  // The public key is derived from the private one: the .pub file is only for operators.
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  const raw = jwk.x!.replaceAll("-", "+").replaceAll("_", "/");
  const publicKey = raw + "=".repeat((4 - raw.length % 4) % 4);
  // 0600 like every file the agent writes; the operator copies it out as its owner.
  await Deno.writeTextFile(join(folder, PUBLIC_KEY_FILE), publicKey + "\n", { mode: 0o600 });
  return { publicKey, privateKey: await reimportForSigning(pkcs8) };
}

function reimportForSigning(pkcs8: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  // Not extractable once loaded: nothing in the agent needs to read the key back.
  return crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
}
