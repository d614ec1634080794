/**
 * The test fleet's keys, provisioned the way an operator pre-seeds a production fleet: every
 * node name gets one Ed25519 key pair for the whole test process, copied into its agent's
 * config folder before it starts; nodes pin central's key with `-centralPublicKey`; central
 * finds every node's key in its `approved_keys/` folder. Agents therefore run with signatures
 * required (the default) without an approval step in each test.
 *
 * @module
 */
import { join } from "node:path";
import { preApproveKey } from "../src/security/approved_keys.ts";
import {
  loadOrCreateNodeKeys,
  type NodeKeys,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
} from "../src/security/node_keys.ts";

let root: string | undefined;
const keys = new Map<string, Promise<NodeKeys>>();
/** Config folders of the central agents started so far: each learns every node's key. */
const centralFolders = new Set<string>();

async function pkiRoot(): Promise<string> {
  if (!root) {
    root = await Deno.makeTempDir({ prefix: "steward-pki-" });
    const made = root;
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(made, { recursive: true });
      } catch {
        // Already gone.
      }
    });
  }
  return root;
}

/** The test key pair of node `name` (created on first use, then the same for the process). */
export function testKeys(name: string): Promise<NodeKeys> {
  let pair = keys.get(name);
  if (!pair) {
    pair = pkiRoot().then((dir) => loadOrCreateNodeKeys(join(dir, name)));
    keys.set(name, pair);
  }
  return pair;
}

/**
 * Gives the agent `name` (config folder `configFolder`) its test key pair and returns the flags
 * that make it trust its central. A central also gets the approval of every test node's key,
 * now and as more nodes are provisioned.
 */
export async function provision(
  name: string,
  configFolder: string,
  centralName: string,
): Promise<string[]> {
  const own = await testKeys(name);
  const dir = join(await pkiRoot(), name);
  await Deno.mkdir(configFolder, { recursive: true });
  for (const file of [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE]) {
    const target = join(configFolder, file);
    const exists = await Deno.stat(target).then(() => true, () => false);
    if (!exists) await Deno.copyFile(join(dir, file), target);
  }
  await Deno.chmod(join(configFolder, PRIVATE_KEY_FILE), 0o600);
  if (name === centralName) {
    centralFolders.add(configFolder);
    for (const [node, pair] of keys) {
      if (node !== name) await preApproveKey(configFolder, node, (await pair).publicKey);
    }
    return [];
  }
  for (const folder of centralFolders) {
    const alive = await Deno.stat(folder).then(() => true, () => false);
    if (alive) await preApproveKey(folder, name, own.publicKey);
    else centralFolders.delete(folder);
  }
  return [`-centralPublicKey=${(await testKeys(centralName)).publicKey}`];
}
