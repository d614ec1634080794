/**
 * The destination's side of a copy: it prepares the temporary file beside the target when a
 * copy is announced (`REQCopyDst`), takes the source's chunks in order on
 * `<node>.REQCopyDst.chunks`, each only when its seal verifies and its bytes match it, and
 * renames the file into place only once the whole file's SHA-256 is the one the source sealed.
 *
 * @module
 */
import { abortable } from "../node/abortable.ts";
import { createHash, type Hash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { headers, type Msg, type NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import type { Metrics } from "../metrics.ts";
import { checkAcl } from "../security/acl.ts";
import type { Security } from "../security/security.ts";
import {
  CHUNK_SEAL_HEADER,
  type ChunkSeal,
  type ChunkSealFields,
  parseChunkSeal,
  sha256Hex,
} from "../node/chunk_seal.ts";
import { CopyStates, type ReceivedCopy } from "./copy_state.ts";
import {
  answerSubject,
  chunkCount,
  chunkSubject,
  COPY_OP_HEADER,
  type CopyAnswer,
  type CopyPlan,
} from "./protocol.ts";

/** What a {@linkcode CopyReceiver} uses of its node. */
export interface CopyReceiverDeps {
  nodeName: string;
  kv: Deno.Kv;
  connection(): Promise<NatsConnection>;
  security: Pick<Security, "sealChunk" | "verifyChunk" | "acl">;
  metrics: Pick<Metrics, "copyBytes" | "copies">;
  log(line: string): void;
}

/** A copy refused before it starts (the target is a link, its folder is missing…). */
export class CopyRefusedError extends Error {
  override name = "CopyRefusedError";
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Receives the copies sent to one node.
 *
 * @example
 * ```ts ignore
 * import { CopyReceiver } from "./copy_receiver.ts";
 * const receiver = new CopyReceiver(deps);
 * supervisor.start("listener", "REQCopyDst.chunks", (signal) => receiver.run(signal));
 * await receiver.prepare("ship1", plan, 60_000); // on REQCopyDst
 * ```
 */
export class CopyReceiver {
  #deps: CopyReceiverDeps;
  #states: CopyStates;
  /** Per copy, the request being handled: one at a time, in order. */
  #busy = new Map<string, Promise<void>>();
  /**
   * Per copy, the hash of the chunks written by this process, in order: the finish then needs
   * no second read of the file. After a restart it is missing, and the file is read.
   */
  #hashes = new Map<string, { hash: Hash; upTo: number }>();

  /** A receiver for the node `deps` describes. */
  constructor(deps: CopyReceiverDeps) {
    this.#deps = deps;
    this.#states = new CopyStates(deps.kv);
  }

  /**
   * Prepares the copy `plan` from `srcNode` (again, after a resend: then where it stands), for
   * `timeoutMs`. The target's folder is made with `plan.folderMode` when asked; its links are
   * resolved and the real target judged by the ACL again; a target that is a symbolic link or
   * not a regular file is refused.
   *
   * @throws {CopyRefusedError} saying why the copy cannot be written there.
   */
  async prepare(srcNode: string, plan: CopyPlan, timeoutMs: number): Promise<ReceivedCopy> {
    const known = await this.#states.get(plan.copyId);
    if (known) {
      if (known.srcNode !== srcNode) throw new CopyRefusedError(`copy ${plan.copyId} is taken`);
      return known;
    }
    const folder = dirname(plan.dstPath);
    if (plan.folderMode !== undefined) {
      await Deno.mkdir(folder, { recursive: true, mode: plan.folderMode });
    }
    let realFolder: string;
    try {
      realFolder = await Deno.realPath(folder);
    } catch (err) {
      throw new CopyRefusedError(`cannot write ${plan.dstPath}: ${(err as Error).message}`);
    }
    const realPath = join(realFolder, basename(plan.dstPath));
    if (realPath !== plan.dstPath) {
      // A link in the folder's path leads elsewhere: the ACL judges where it leads.
      const refused = checkAcl(this.#deps.security.acl.current, this.#deps.nodeName, {
        fromNode: srcNode,
        method: "REQCopyDst",
        target: realPath,
      });
      if (refused) throw new CopyRefusedError(`${refused} (${plan.dstPath} leads there)`);
    }
    const existing = await Deno.lstat(realPath).catch(() => undefined);
    if (existing?.isSymlink) {
      throw new CopyRefusedError(`cannot write ${realPath}: it is a symbolic link`);
    }
    if (existing && !existing.isFile) {
      throw new CopyRefusedError(`cannot write ${realPath}: it is not a regular file`);
    }
    const tmpPath = join(realFolder, `.${basename(realPath)}.steward-copy-${plan.copyId}`);
    await Deno.remove(tmpPath).catch(() => {}); // Left by a copy this node forgot.
    const file = await Deno.open(tmpPath, { write: true, createNew: true, mode: 0o600 });
    file.close();
    const copy: ReceivedCopy = {
      srcNode,
      plan,
      tmpPath,
      realPath,
      next: 0,
      deadline: Date.now() + timeoutMs,
    };
    await this.#states.put(copy);
    return copy;
  }

  /** Takes chunk requests until `signal` aborts; first removes copies past their time limit. */
  async run(signal: AbortSignal): Promise<void> {
    for await (const copy of this.#states.all()) {
      if (!copy.done && copy.deadline < Date.now()) await this.#drop(copy, "timeout");
    }
    // A node stopped before it ever reached the broker must not wait for it.
    const nc = await abortable(this.#deps.connection(), signal);
    const sub = nc.subscribe(chunkSubject(this.#deps.nodeName));
    const stop = () => sub.unsubscribe();
    signal.addEventListener("abort", stop, { once: true });
    try {
      for await (const msg of sub) {
        this.#take(msg).catch((err) =>
          this.#deps.log(`${this.#deps.nodeName}: copy chunk not taken: ${err}`)
        );
      }
    } finally {
      signal.removeEventListener("abort", stop);
    }
  }

  /**
   * Queues `msg` behind the requests of the copy its seal claims, at once: the chunks of a copy
   * are then handled in the order they arrived, whatever each one's checks take.
   */
  async #take(msg: Msg): Promise<void> {
    const sealed = parseChunkSeal(msg.headers?.get(CHUNK_SEAL_HEADER) ?? "");
    if (typeof sealed === "string") return; // Unsealed: nobody's copy, no answer.
    const id = sealed.fields.id;
    const previous = this.#busy.get(id) ?? Promise.resolve();
    const turn = previous.then(() => this.#check(msg, sealed));
    const settled = turn.catch(() => {});
    this.#busy.set(id, settled);
    try {
      await turn;
    } finally {
      if (this.#busy.get(id) === settled) this.#busy.delete(id);
    }
  }

  async #check(msg: Msg, sealed: ChunkSeal): Promise<void> {
    const self = this.#deps.nodeName;
    const refused = await this.#deps.security.verifyChunk(sealed);
    if (refused) return this.#deps.log(`${self}: copy ${refused}`);
    const seal = sealed.fields;
    if (seal.toNode !== self || seal.subject !== chunkSubject(self)) return;
    if (seal.sha256 !== await sha256Hex(msg.data)) {
      const copy = await this.#states.get(seal.id);
      return await this.#answer(msg, seal, { next: copy?.next ?? 0, mismatch: true });
    }
    await this.#handle(msg, seal);
  }

  async #handle(msg: Msg, seal: ChunkSealFields): Promise<void> {
    const copy = await this.#states.get(seal.id);
    if (!copy) return await this.#answer(msg, seal, { next: 0, unknown: true });
    const { plan } = copy;
    const count = chunkCount(plan.size, plan.chunkBytes);
    if (seal.fromNode !== copy.srcNode || seal.count !== count || seal.total !== plan.size) {
      return this.#deps.log(`${this.#deps.nodeName}: copy ${seal.id}: chunk from another copy`);
    }
    const op = msg.headers?.get(COPY_OP_HEADER);
    if (copy.done) return await this.#answer(msg, seal, { next: count, done: copy.done });
    if (copy.deadline < Date.now()) {
      await this.#drop(copy, "timeout");
      return await this.#answer(msg, seal, { next: 0, error: "the copy's time limit passed" });
    }
    if (op === "chunk" && seal.index === copy.next && seal.index < count) {
      await this.#write(copy, seal.index, msg.data);
    } else if (op === "finish" && copy.next === count) {
      return await this.#finish(msg, seal, copy, decoder.decode(msg.data));
    }
    await this.#answer(msg, seal, { next: copy.next });
  }

  async #write(copy: ReceivedCopy, index: number, data: Uint8Array): Promise<void> {
    const { size, chunkBytes } = copy.plan;
    const expected = Math.min(chunkBytes, size - index * chunkBytes);
    if (data.length !== expected) return; // Answered with where it stands: sent again.
    const file = await Deno.open(copy.tmpPath, { write: true });
    try {
      await file.seek(index * chunkBytes, Deno.SeekMode.Start);
      for (let at = 0; at < data.length;) at += await file.write(data.subarray(at));
    } finally {
      file.close();
    }
    const running = this.#hashes.get(copy.plan.copyId) ??
      (index === 0 ? { hash: createHash("sha256"), upTo: 0 } : undefined);
    if (running?.upTo === index) {
      running.hash.update(data);
      running.upTo = index + 1;
      this.#hashes.set(copy.plan.copyId, running);
    }
    // Written before it is acknowledged: a restart resumes after it, never before.
    copy.next = index + 1;
    await this.#states.put(copy);
    this.#deps.metrics.copyBytes.inc({ role: "destination" }, data.length);
  }

  async #finish(msg: Msg, seal: ChunkSealFields, copy: ReceivedCopy, sha256: string) {
    const count = chunkCount(copy.plan.size, copy.plan.chunkBytes);
    const running = this.#hashes.get(copy.plan.copyId);
    this.#hashes.delete(copy.plan.copyId);
    const actual = running?.upTo === count
      ? running.hash.digest("hex")
      : await fileSha256(copy.tmpPath);
    if (actual !== sha256) {
      await this.#drop(copy, "mismatch");
      const error = `${copy.realPath}: the file received has SHA-256 ${actual}, not ${sha256}`;
      return await this.#answer(msg, seal, { next: 0, error });
    }
    try {
      await Deno.chmod(copy.tmpPath, copy.plan.mode & 0o7777);
      if (copy.plan.owner) {
        const [uid, gid] = copy.plan.owner.split(":").map(Number);
        await Deno.chown(copy.tmpPath, uid, gid);
      }
      await Deno.rename(copy.tmpPath, copy.realPath);
    } catch (err) {
      await this.#drop(copy, "failed");
      const error = `cannot put ${copy.realPath} in place: ${(err as Error).message}`;
      return await this.#answer(msg, seal, { next: 0, error });
    }
    copy.done = actual;
    await this.#states.put(copy);
    this.#deps.metrics.copies.inc({ role: "destination", outcome: "done" });
    await this.#answer(msg, seal, { next: count, done: actual });
  }

  async #drop(copy: ReceivedCopy, outcome: string): Promise<void> {
    this.#hashes.delete(copy.plan.copyId);
    await Deno.remove(copy.tmpPath).catch(() => {});
    await this.#states.remove(copy.plan.copyId);
    this.#deps.metrics.copies.inc({ role: "destination", outcome });
  }

  /** Answers with a seal of this node, so that the source can tell it from a forged one. */
  async #answer(msg: Msg, to: ChunkSealFields, answer: CopyAnswer): Promise<void> {
    const body = encoder.encode(JSON.stringify(answer));
    const h = headers();
    h.set(
      CHUNK_SEAL_HEADER,
      await this.#deps.security.sealChunk({
        id: to.id,
        index: answer.next,
        count: to.count,
        total: to.total,
        fromNode: this.#deps.nodeName,
        toNode: to.fromNode,
        subject: answerSubject(to.fromNode),
        sha256: await sha256Hex(body),
      }),
    );
    msg.respond(body, { headers: h });
  }
}

/**
 * SHA-256 of the file at `path` in hex, read a MiB at a time.
 *
 * @example
 * ```ts ignore
 * import { fileSha256 } from "./copy_receiver.ts";
 * await fileSha256("/etc/hostname");
 * ```
 */
export async function fileSha256(path: string, upTo = Infinity): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(path, { read: true });
  try {
    const buffer = new Uint8Array(1 << 20);
    let left = upTo;
    while (left > 0) {
      const n = await file.read(buffer.subarray(0, Math.min(buffer.length, left)));
      if (n === null) break;
      hash.update(buffer.subarray(0, n));
      left -= n;
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}
