/**
 * Where a destination keeps the copies it receives, in the node's KV: what each writes where,
 * the next chunk it needs (written before that chunk is acknowledged, so a restart resumes
 * there) and, once finished, the file's SHA-256 (so a finish sent again is answered the same).
 *
 * @module
 */
import type { CopyPlan } from "./protocol.ts";

/** One copy a node receives. */
export interface ReceivedCopy {
  /** The node that sends it (the only one whose chunks are taken). */
  srcNode: string;
  plan: CopyPlan;
  /** Where the file is written while it arrives: beside the target, renamed at the end. */
  tmpPath: string;
  /** The target, its folder's symbolic links resolved. */
  realPath: string;
  /** The next chunk needed; every one before it is written. */
  next: number;
  /** When the copy's time limit ends (ms since the epoch): its temporary file is removed then. */
  deadline: number;
  /** The whole file's SHA-256, once it is in place. */
  done?: string;
}

/** How long a finished copy is remembered, for a finish sent again after a lost answer. */
const KEEP_DONE_MS = 3_600_000;

/**
 * The received copies of one node, in its KV.
 *
 * @example
 * ```ts ignore
 * import { CopyStates } from "./copy_state.ts";
 * const states = new CopyStates(kv);
 * await states.put(copy);
 * (await states.get(copy.plan.copyId))?.next;
 * ```
 */
export class CopyStates {
  #kv: Deno.Kv;

  /** The copies kept in `kv`. */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /** The copy `copyId`, if this node receives (or received) it. */
  async get(copyId: string): Promise<ReceivedCopy | undefined> {
    return (await this.#kv.get<ReceivedCopy>(["copy", "dst", copyId])).value ?? undefined;
  }

  /** Stores `copy`, kept until a while after its time limit. */
  async put(copy: ReceivedCopy): Promise<void> {
    const keep = Math.max(copy.deadline - Date.now(), 0) + KEEP_DONE_MS;
    await this.#kv.set(["copy", "dst", copy.plan.copyId], copy, { expireIn: keep });
  }

  /** Forgets the copy `copyId`. */
  async remove(copyId: string): Promise<void> {
    await this.#kv.delete(["copy", "dst", copyId]);
  }

  /** Every copy kept. */
  async *all(): AsyncIterable<ReceivedCopy> {
    for await (const e of this.#kv.list<ReceivedCopy>({ prefix: ["copy", "dst"] })) yield e.value;
  }
}
