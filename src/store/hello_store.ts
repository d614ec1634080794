/**
 * Central's registry of nodes: when each was last heard from with a hello.
 *
 * @example
 * ```ts ignore
 * import { HelloStore } from "./hello_store.ts";
 * const hello = new HelloStore(kv);
 * await hello.seen("ship1");
 * console.log(await hello.all());
 * ```
 */
export class HelloStore {
  #kv: Deno.Kv;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /** Records that `node` said hello now. */
  async seen(node: string, at = Date.now()): Promise<void> {
    await this.#kv.set(["hello", node], at);
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
