import type { HelloLog } from "./hello_log.ts";

/**
 * Central's registry of nodes: when each was last heard from with a hello (in KV), and, with
 * a {@linkcode HelloLog}, a line for every hello in the node's hello log.
 *
 * @example
 * ```ts ignore
 * import { HelloStore } from "./hello_store.ts";
 * const hello = new HelloStore(kv, new HelloLog("./data/hello-messages"));
 * await hello.seen("ship1", Date.now(), "2026-12-01T10:00:00.000Z hello from ship1\n");
 * console.log(await hello.all());
 * ```
 */
export class HelloStore {
  #kv: Deno.Kv;
  #log: HelloLog | undefined;

  /** A registry over `kv`, appending to `log` when given. */
  constructor(kv: Deno.Kv, log?: HelloLog) {
    this.#kv = kv;
    this.#log = log;
  }

  /** Records that `node` said hello at `at`, and appends `line` to its hello log. */
  async seen(node: string, at = Date.now(), line?: string): Promise<void> {
    await this.#kv.set(["hello", node], at);
    if (line !== undefined) await this.#log?.append(node, line);
  }

  /** Every node ever heard from, with the time (ms since epoch) it was last seen. */
  async all(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for await (const e of this.#kv.list<number>({ prefix: ["hello"] })) {
      out[e.key[1] as string] = e.value;
    }
    return out;
  }
}
