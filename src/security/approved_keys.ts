/**
 * Pre-seeded approvals: central trusts `<CONFIG_FOLDER>/approved_keys/<node>.pub` as the
 * operator's approval of that node's key, so that a fleet provisioned by configuration management
 * (or a test harness, or the benchmark) needs no interactive `-approveKey` per node.
 *
 * @module
 */
import { join } from "node:path";
import { NODE_NAME_PATTERN } from "../message/schema.ts";
import { fromBase64 } from "./node_keys.ts";

/** Name of the folder of pre-seeded approvals inside central's CONFIG_FOLDER. */
export const APPROVED_KEYS_FOLDER = "approved_keys";

/** How long "no file for this node" is believed before the folder is looked at again. */
const NEGATIVE_TTL_MS = 1000;

/**
 * Reads pre-seeded approvals from a folder, one `<node>.pub` file (the node's
 * `steward_ed25519.pub`, base64 of the raw 32-byte key) per node. Looked up when a message
 * arrives from a node central has no approved key for, so a file dropped in while central runs
 * takes effect at that node's next message.
 *
 * @example
 * ```ts ignore
 * import { ApprovedKeysFolder } from "./approved_keys.ts";
 * const folder = new ApprovedKeysFolder("/etc/steward/approved_keys");
 * const key = await folder.lookup("ship1"); // undefined when there is no (valid) file
 * ```
 */
export class ApprovedKeysFolder {
  readonly path: string;
  // A flood of messages from unknown senders must not turn into a flood of file reads.
  #missing = new Map<string, number>();

  constructor(path: string) {
    this.path = path;
  }

  /** The key pre-seeded for `node`, if a valid file names one. */
  async lookup(node: string): Promise<string | undefined> {
    if (!NODE_NAME_PATTERN.test(node)) return undefined;
    const missingSince = this.#missing.get(node);
    if (missingSince !== undefined && Date.now() - missingSince < NEGATIVE_TTL_MS) return undefined;
    let text: string;
    try {
      text = await Deno.readTextFile(join(this.path, `${node}.pub`));
    } catch {
      if (this.#missing.size >= 10_000) this.#missing.clear();
      this.#missing.set(node, Date.now());
      return undefined;
    }
    this.#missing.delete(node);
    const key = text.trim();
    return isPublicKey(key) ? key : undefined;
  }
}

/** Whether `text` is base64 of a 32-byte Ed25519 public key. */
export function isPublicKey(text: string): boolean {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) return false;
  try {
    return fromBase64(text).length === 32;
  } catch {
    return false;
  }
}

/**
 * Writes a pre-seeded approval of `node`'s `publicKey` into `folder` (central's
 * `approved_keys/` or its -approvedKeysFolder), as an operator or a provisioning tool would by
 * copying the node's `steward_ed25519.pub` there.
 *
 * @example
 * ```ts ignore
 * import { preApproveKey } from "./approved_keys.ts";
 * await preApproveKey("/etc/steward/approved_keys", "ship1", shipPublicKey);
 * ```
 */
export async function preApproveKey(
  folder: string,
  node: string,
  publicKey: string,
): Promise<void> {
  if (!NODE_NAME_PATTERN.test(node)) throw new Error(`"${node}" cannot name a key file`);
  if (!isPublicKey(publicKey)) throw new Error(`not an Ed25519 public key: ${publicKey}`);
  await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  // Written aside and renamed: central must never read half a key.
  const tmp = join(folder, `.${node}.pub.${crypto.randomUUID()}`);
  await Deno.writeTextFile(tmp, publicKey + "\n", { mode: 0o600 });
  await Deno.rename(tmp, join(folder, `${node}.pub`));
}
