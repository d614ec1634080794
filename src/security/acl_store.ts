import { join } from "node:path";
import { type Acl, aclSchema, defaultAcl } from "./acl.ts";

const KEY = ["security", "acl"] as const;

/** File in the config folder mirroring the ACL in force; read at start, and by the sandbox. */
export const ACL_FILE = "acl.json";

/**
 * Reads the ACL file of `configFolder`, if there is a valid one.
 *
 * @throws {Error} when the file exists but is not a valid ACL.
 * @example
 * ```ts ignore
 * import { readAclFile } from "./acl_store.ts";
 * const acl = await readAclFile("./etc"); // undefined when there is none
 * ```
 */
export async function readAclFile(configFolder: string): Promise<Acl | undefined> {
  const path = join(configFolder, ACL_FILE);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  const parsed = aclSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`ACL file ${path} is invalid: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * The node's ACL: the last good one is kept in KV and mirrored to `<configFolder>/acl.json` (so
 * the Deno sandbox can be derived from it before the agent starts); an operator may also write
 * that file by hand, and a higher version there wins at start.
 *
 * @example
 * ```ts ignore
 * import { AclStore } from "./acl_store.ts";
 * const acls = await AclStore.open(kv, "./etc", "central");
 * acls.current.version; // 0 until central sends one
 * ```
 */
export class AclStore {
  #kv: Deno.Kv;
  #folder: string;
  #current: Acl;
  #updating: Promise<unknown> = Promise.resolve();

  private constructor(kv: Deno.Kv, folder: string, current: Acl) {
    this.#kv = kv;
    this.#folder = folder;
    this.#current = current;
  }

  /** Loads the ACL in force: the higher version of KV and the file, else the default. */
  static async open(kv: Deno.Kv, configFolder: string, central: string): Promise<AclStore> {
    const stored = aclSchema.safeParse((await kv.get(KEY)).value);
    const fromKv = stored.success ? stored.data : undefined;
    const fromFile = await readAclFile(configFolder);
    let current = defaultAcl(central);
    for (const a of [fromKv, fromFile]) if (a && a.version >= current.version) current = a;
    const store = new AclStore(kv, configFolder, current);
    if (current !== fromKv && current.version > 0) await store.#persist(current);
    return store;
  }

  /** The ACL in force. */
  get current(): Acl {
    return this.#current;
  }

  /**
   * Replaces the ACL with `candidate` when it is valid and newer; returns the version in force.
   *
   * @throws {Error} when `candidate` is not a valid ACL or not newer than the one in force.
   */
  update(candidate: unknown): Promise<number> {
    // One at a time: two updates arriving together must not let the older one be stored last.
    const updated = this.#updating.then(async () => {
      const parsed = aclSchema.safeParse(candidate);
      if (!parsed.success) throw new Error(`invalid ACL: ${parsed.error.message}`);
      if (parsed.data.version <= this.#current.version) {
        throw new Error(
          `ACL version ${parsed.data.version} is not newer than version ` +
            `${this.#current.version} in force`,
        );
      }
      await this.#persist(parsed.data);
      this.#current = parsed.data;
      return parsed.data.version;
    });
    this.#updating = updated.catch(() => 0);
    return updated;
  }

  async #persist(acl: Acl): Promise<void> {
    await this.#kv.set(KEY, acl);
    await Deno.mkdir(this.#folder, { recursive: true, mode: 0o700 });
    // 0600: the ACL tells a reader which commands this node runs for whom.
    await Deno.writeTextFile(join(this.#folder, ACL_FILE), JSON.stringify(acl, null, 2) + "\n", {
      mode: 0o600,
    });
  }
}
