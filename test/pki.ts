/**
 * The keys of local test fleets (tests, the demo, the benchmark), provisioned the way an operator
 * pre-seeds a production fleet: every node name gets one Ed25519 key pair, copied into its
 * agent's config folder before it starts; nodes pin central's key with `-centralPublicKey`;
 * central finds every node's public key in one `-approvedKeysFolder`. Agents therefore run with
 * signatures required (the default) without an approval step.
 *
 * The keys live in `$STEWARD_FLEET_KEYS` when set (scripts/test.ts, the demo and the benchmark
 * set it, so that their processes share the keys and the folder is removed at the end), else in
 * a new temporary folder.
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
import { signMessage } from "../src/security/signature.ts";

/** Environment variable naming a key folder shared by several processes. */
export const FLEET_KEYS_ENV = "STEWARD_FLEET_KEYS";

let root: Promise<string> | undefined;
const keys = new Map<string, Promise<NodeKeys>>();

/** The folder of the fleet's keys (created on first use). */
export function fleetKeysFolder(): Promise<string> {
  root ??= (async () => {
    const shared = Deno.env.get(FLEET_KEYS_ENV);
    if (shared) return shared;
    // Not removed on unload: `deno test` runs several modules in one process and the folder
    // must outlive each of them. scripts/test.ts passes (and removes) a shared one instead.
    const made = await Deno.makeTempDir({ prefix: "steward-keys-" });
    Deno.env.set(FLEET_KEYS_ENV, made);
    return made;
  })();
  return root;
}

/** The approvals central reads (its -approvedKeysFolder). */
async function approvedFolder(): Promise<string> {
  return join(await fleetKeysFolder(), "approved");
}

async function createKeys(name: string): Promise<NodeKeys> {
  const folder = join(await fleetKeysFolder(), "nodes", name);
  let pair: NodeKeys;
  try {
    pair = await loadOrCreateNodeKeys(folder);
  } catch (err) {
    // Another process sharing the folder created it at the same moment: load that one.
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    pair = await loadOrCreateNodeKeys(folder);
  }
  await preApproveKey(await approvedFolder(), name, pair.publicKey);
  return pair;
}

/** The key pair of node `name` (created and pre-approved on first use). */
export function fleetKeys(name: string): Promise<NodeKeys> {
  let pair = keys.get(name);
  if (!pair) {
    pair = createKeys(name);
    keys.set(name, pair);
  }
  return pair;
}

/** What an agent needs besides its key files to trust and be trusted. */
export interface Trust {
  /** For central: where the nodes' approved keys are. */
  approvedKeysFolder?: string;
  /** For every other node: central's key. */
  centralPublicKey?: string;
}

/**
 * Gives agent `name` (config folder `configFolder`) its key pair unless the folder has one, and
 * returns the settings that make it trust `centralName` (or, for central, the nodes).
 *
 * @example
 * ```ts ignore
 * import { provision } from "./pki.ts";
 * const trust = await provision("ship1", "/tmp/ship1/etc", "central");
 * // { centralPublicKey: "…" }
 * ```
 */
export async function provision(
  name: string,
  configFolder: string,
  centralName: string,
): Promise<Trust> {
  await fleetKeys(name);
  const source = join(await fleetKeysFolder(), "nodes", name);
  // Owner-only, as an operator provisions a config folder (the agent narrows only its files).
  await Deno.mkdir(configFolder, { recursive: true, mode: 0o700 });
  for (const file of [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE]) {
    const target = join(configFolder, file);
    const exists = await Deno.stat(target).then(() => true, () => false);
    if (!exists) await Deno.copyFile(join(source, file), target);
  }
  await Deno.chmod(join(configFolder, PRIVATE_KEY_FILE), 0o600);
  if (name === centralName) return { approvedKeysFolder: await approvedFolder() };
  return { centralPublicKey: (await fleetKeys(centralName)).publicKey };
}

/** {@linkcode Trust} as agent flags. */
export function trustFlags(trust: Trust): string[] {
  return Object.entries(trust).map(([flag, value]) => `-${flag}=${value}`);
}

/**
 * `message` as node `name` publishes it: its JSON, signed now with that node's fleet key (for
 * tests that play a node on a NATS connection of their own).
 */
export async function signedBy(name: string, message: object): Promise<Uint8Array> {
  const signed = await signMessage(message, await fleetKeys(name));
  return new TextEncoder().encode(JSON.stringify(signed));
}
