/**
 * The write-ahead journal of stores (replies written to files): one line per store, written
 * before the file is touched.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "npm:zod@4.6.7";
import { type Message, messageSchema } from "../message/schema.ts";
import { MAX_KEPT_DATA } from "./dedup_store.ts";
import { PRIVATE_FILE_MODE } from "./file_modes.ts";

// A journal that is never idle (stores keep coming) is rewritten with only its pending lines
// once it grows past this.
const COMPACT_BYTES = 4 * 1024 * 1024;
/**
 * An idle journal smaller than this is emptied by a timer rather than at once: truncating after
 * every store of a sequential flow cost a system call per round trip for a file that holds a
 * few lines. Lines of settled stores are harmless meanwhile (the next start skips the stores KV
 * marks done); the timer keeps them from outliving that mark.
 */
const EMPTY_AT_ONCE_BYTES = 64 * 1024;
/** How long an idle journal below {@linkcode EMPTY_AT_ONCE_BYTES} keeps its lines. */
const EMPTY_AFTER_MS = 1000;
const encoder = new TextEncoder();

/**
 * Records each store (a reply appended or written to a file at its destination) before it
 * touches its file, so that after a crash the store is finished exactly once: a resend finds
 * it here and appends only if the file does not already hold it.
 *
 * Why a file and not the KV record it replaces: a KV commit waits for `fsync` (1–1.4 ms here,
 * the largest single step of a round trip), while a store is only as durable as its reply
 * file, which is written without `fsync`. What the journal must guarantee is order: its line
 * reaches the kernel before the reply file's append does, so a process killed at any point
 * leaves the line wherever the append happened. A synchronous `write` ({@linkcode flush})
 * before the store's effect gives exactly that.
 * A line stays until the store's "done" mark is durable in KV; the file is emptied once no
 * store is pending (within a second when it is small).
 *
 * Each line is `<HMAC-SHA256 of the JSON, hex> <message JSON>` under the node's journal key
 * (`journal_key.ts`): a line planted by whoever can write the file but not read the key is
 * skipped at start and counted in {@linkcode refused}, never acted on.
 *
 * @example
 * ```ts ignore
 * import { StoreJournal } from "./store_journal.ts";
 * const journal = StoreJournal.open(`${databaseFolder}/store_journal.log`, journalKey);
 * for (const m of journal.left) finishOnce(m); // stores an earlier process may not have made
 * journal.leftHandled();
 * if (journal.note(message)) {
 *   journal.flush(); // Just before the store's effect.
 *   appendToFile(message);
 *   journal.settled(message.id); // Once its "done" mark is durable.
 * }
 * ```
 */
export class StoreJournal {
  /** Stores noted by an earlier process and never settled: each may or may not have been made. */
  readonly left: Message[];
  /**
   * Where an earlier process was about to append each message's reply (see
   * {@linkcode place}): the latest placement of each id it did not settle.
   */
  readonly placements: ReadonlyMap<string, Placement>;
  /** Lines an earlier process left that carry no valid MAC: skipped, to be reported. */
  readonly refused: number;
  #path: string;
  #key: MacKey;
  #file: Deno.FsFile;
  // The line of each store noted and not yet settled, for compaction.
  #pending = new Map<string, Uint8Array>();
  #unwritten: Uint8Array[] = [];
  #leftHandled = false;
  #bytes: number;
  #emptyAfterMs: number;
  /** Largest data a store line takes (the node's -maxMessageSize). */
  #maxDataBytes: number;
  /** Bytes of the lines in {@linkcode #pending}: what a compaction rewrites. */
  #pendingBytes = 0;
  #emptyTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    path: string,
    key: Uint8Array,
    file: Deno.FsFile,
    read: {
      left: Message[];
      placements: Map<string, Placement>;
      refused: number;
      bytes: number;
    },
    emptyAfterMs: number,
    maxDataBytes: number,
  ) {
    this.#maxDataBytes = maxDataBytes;
    this.#path = path;
    this.#key = macKey(key);
    this.refused = read.refused;
    this.#file = file;
    this.left = read.left;
    this.placements = read.placements;
    this.#bytes = read.bytes;
    this.#emptyAfterMs = emptyAfterMs;
  }

  /**
   * Opens (or creates, mode 0600) the journal at `path` and reads what an earlier process left
   * in it. An unterminated last line (torn by a crash while it was written) is skipped: its
   * store had not started. Any other line without a valid MAC under `key` is skipped and
   * counted in {@linkcode refused}. `emptyAfterMs` is how long a small idle journal keeps its
   * lines.
   *
   * @throws {Error} when the file cannot be read or opened for writing.
   */
  static open(
    path: string,
    key: Uint8Array,
    emptyAfterMs: number = EMPTY_AFTER_MS,
    maxDataBytes: number = MAX_KEPT_DATA,
  ): StoreJournal {
    let bytes = new Uint8Array();
    try {
      bytes = Deno.readFileSync(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    const left = new Map<string, Message>();
    const placements = new Map<string, Placement>();
    const mac = macKey(key);
    let refused = 0;
    const lines = new TextDecoder().decode(bytes).split("\n");
    // Not fatal: a byte torn by a crash only spoils the line it is in.
    for (const [i, line] of lines.entries()) {
      if (line.trim() === "") continue;
      const entry = parseLine(line, mac);
      if (entry && "placed" in entry) placements.set(entry.placed.id, entry.placed);
      else if (entry) left.set(entry.id, entry);
      else if (i < lines.length - 1) refused++; // The unterminated last one is torn, not forged.
    }
    const file = Deno.openSync(path, { append: true, create: true, mode: PRIVATE_FILE_MODE });
    return new StoreJournal(
      path,
      key,
      file,
      { left: [...left.values()], placements, refused, bytes: bytes.length },
      emptyAfterMs,
      maxDataBytes,
    );
  }

  /**
   * Notes `message` for its store; false when its data is too big for a line, and the caller
   * must record it another way. The line is written by the next {@linkcode flush}, which must
   * come before the store touches anything: a burst of stores then costs one write.
   */
  note(message: Message): boolean {
    // Up to the largest message: a store recorded in KV keeps no data over 48 KiB, and one
    // interrupted by a crash could then not be finished (its sender would get a duplicate ACK).
    if (message.data.length > this.#maxDataBytes) return false;
    const json = JSON.stringify(message);
    const line = encoder.encode(`${macOf(this.#key, json)} ${json}\n`);
    this.#unwritten.push(line);
    this.#setPending(message.id, line);
    return true;
  }

  /**
   * Writes the lines noted since the last flush. Call it before a store's effect (a file
   * written, a line printed): from then on a crash leaves the line wherever the effect is.
   *
   * @throws {Error} when the journal cannot be written; the store must not go ahead.
   */
  flush(): void {
    if (this.#unwritten.length === 0) return;
    // Not while most of it is still pending (large stores in flight): a compaction would
    // rewrite them at every flush.
    if (this.#bytes > Math.max(COMPACT_BYTES, 2 * this.#pendingBytes) && this.#leftHandled) {
      this.#compact(); // Writes every pending line, the unwritten ones included.
      return;
    }
    const lines = this.#unwritten;
    const bytes = lines.length === 1 ? lines[0] : concat(lines);
    writeAll(this.#file, bytes);
    this.#unwritten = [];
    this.#bytes += bytes.length;
  }

  /**
   * Records, before it is made, that the append of message `id` goes to `path` at `offset`
   * and is `length` bytes long: written at once (with any lines noted and not yet flushed).
   * After a crash, the file's size then tells whether that append was made, whole or torn,
   * whatever the file holds.
   *
   * @throws {Error} when the journal cannot be written; the append must not go ahead.
   */
  place(id: string, path: string, offset: number, length: number): void {
    const json = JSON.stringify({ placed: { id, path, offset, length } });
    const line = encoder.encode(`${macOf(this.#key, json)} ${json}\n`);
    this.#unwritten.push(line);
    this.#setPending(`${PLACED}${id}`, line);
    this.flush();
  }

  /** The store of `id` is finished and its "done" mark durable: its lines are no longer needed. */
  settled(id: string): void {
    const noted = this.#deletePending(id);
    if (this.#deletePending(`${PLACED}${id}`) || noted) this.#emptyIfIdle();
  }

  /** Every store in {@linkcode left} is finished and marked done in KV. */
  leftHandled(): void {
    this.#leftHandled = true;
    this.#emptyIfIdle();
  }

  #setPending(key: string, line: Uint8Array): void {
    this.#pendingBytes += line.length - (this.#pending.get(key)?.length ?? 0);
    this.#pending.set(key, line);
  }

  #deletePending(key: string): boolean {
    const line = this.#pending.get(key);
    if (!line) return false;
    this.#pendingBytes -= line.length;
    return this.#pending.delete(key);
  }

  /** Number of stores noted and not yet settled. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Closes the file; lines of stores still pending stay for the next start. */
  close(): void {
    clearTimeout(this.#emptyTimer);
    try {
      this.#file.close();
    } catch {
      // Already closed.
    }
  }

  /**
   * Rewrites the journal with the lines still needed, then swaps it in by rename: a crash
   * leaves either file whole. Lines left by an earlier process stay until they are handled.
   */
  #compact(): void {
    const next = `${this.#path}.next`;
    try {
      Deno.removeSync(next); // Left by a crash during an earlier compaction.
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    // Appending, as the journal always is: after it is emptied, writes start at 0 again.
    const file = Deno.openSync(next, { append: true, create: true, mode: PRIVATE_FILE_MODE });
    let bytes = 0;
    try {
      for (const line of this.#pending.values()) {
        writeAll(file, line);
        bytes += line.length;
      }
      Deno.renameSync(next, this.#path);
    } catch (err) {
      file.close();
      throw err;
    }
    this.#file.close();
    this.#file = file;
    this.#bytes = bytes;
    this.#unwritten = [];
  }

  #emptyIfIdle(): void {
    if (!this.#leftHandled || this.#pending.size > 0 || this.#bytes === 0) return;
    if (this.#bytes < EMPTY_AT_ONCE_BYTES) {
      // One timer at a time; when it fires, the journal may be busy again and wait for the next.
      if (this.#emptyTimer !== undefined) return;
      const timer = setTimeout(() => {
        this.#emptyTimer = undefined;
        if (this.#pending.size === 0 && this.#bytes > 0) this.#empty();
      }, this.#emptyAfterMs);
      Deno.unrefTimer(timer);
      this.#emptyTimer = timer;
      return;
    }
    this.#empty();
  }

  #empty(): void {
    this.#unwritten = []; // Only lines of settled stores could be left: none, in practice.
    try {
      this.#file.truncateSync(0);
      this.#bytes = 0;
    } catch {
      // Kept: the next start skips the lines whose stores are marked done.
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}

/** The HMAC pads of a key, made once: a line's MAC is then two one-shot hashes. */
interface MacKey {
  inner: Uint8Array;
  outer: Uint8Array;
}

function macKey(key: Uint8Array): MacKey {
  if (key.length > 64) throw new Error("a journal key is at most 64 bytes");
  const inner = new Uint8Array(64).fill(0x36);
  const outer = new Uint8Array(64).fill(0x5c);
  for (const [i, b] of key.entries()) {
    inner[i] ^= b;
    outer[i] ^= b;
  }
  return { inner, outer };
}

/**
 * HMAC-SHA256 (RFC 2104) of `json`, hex. Built from `createHash` because `createHmac` costs
 * 4–5 times as much per call here, and one is paid for every store.
 */
function macOf(key: MacKey, json: string): string {
  const inner = createHash("sha256").update(key.inner).update(json).digest();
  return createHash("sha256").update(key.outer).update(inner).digest("hex");
}

const MAC_HEX = 64;

/** Prefix of the pending-line key of a placement (ids never contain a colon). */
const PLACED = "placed:";

/** Where the append of a message's reply was to go (see {@linkcode StoreJournal.place}). */
export interface Placement {
  id: string;
  path: string;
  offset: number;
  length: number;
}

const placementSchema = z.object({
  placed: z.object({
    id: z.string().min(1),
    path: z.string().min(1),
    offset: z.number().int().min(0),
    length: z.number().int().min(0),
  }).strict(),
}).strict();

function parseLine(line: string, key: MacKey): Message | { placed: Placement } | undefined {
  if (line.length < MAC_HEX + 2 || line[MAC_HEX] !== " ") return undefined;
  const json = line.slice(MAC_HEX + 1);
  const expected = encoder.encode(macOf(key, json));
  const given = encoder.encode(line.slice(0, MAC_HEX));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const value = JSON.parse(json);
    if (value && typeof value === "object" && "placed" in value) {
      const placed = placementSchema.safeParse(value);
      return placed.success ? placed.data : undefined;
    }
    const parsed = messageSchema.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
