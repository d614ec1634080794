/**
 * Splitting a message bigger than the broker's max payload into chunks, and putting it back
 * together on the receiving side.
 *
 * A chunk is an ordinary NATS message whose `Steward-Chunk` header says which message it
 * belongs to, its position, how many there are and the size of the whole. The publisher sends
 * the chunks of a message one after the other, each waiting for its own ACK, so the receiver
 * sees them in order; a receiver that lost the earlier ones (it restarted) asks for a resend
 * from the first it lacks.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { ackSchema } from "../message/schema.ts";

/** The NATS header carrying a chunk's place: `<id> <index> <count> <total bytes>`. */
export const CHUNK_HEADER = "Steward-Chunk";

/** Room left in each chunk for the NATS headers, which count towards the max payload. */
export const HEADER_ROOM = 4096;

/**
 * The ACK of a chunk: an ordinary ACK, plus the index of the chunk it answers (`chunk`: the
 * sender believes it only for the chunk it sent, so an ACK of chunk 0 replayed later cannot end
 * the transfer), where to resume when the receiver lacks earlier chunks (`resendFrom`) and
 * whether it was only short of memory (`busy`: wait, then resend).
 */
export const chunkAckSchema = ackSchema.extend({
  chunk: z.number().int().min(0).optional(),
  resendFrom: z.number().int().min(0).optional(),
  busy: z.boolean().optional(),
});

/** An ACK as a chunk's sender reads it. */
export type ChunkAck = z.infer<typeof chunkAckSchema>;

/** Where one chunk belongs. */
export interface ChunkInfo {
  /** The message id. */
  id: string;
  /** Position of this chunk, from 0. */
  index: number;
  /** How many chunks the message has. */
  count: number;
  /** Size of the whole message, in bytes. */
  total: number;
}

/**
 * Splits `payload` into pieces of at most `chunkBytes` (views, not copies).
 *
 * @throws {RangeError} when `chunkBytes` is not a positive integer.
 * @example
 * ```ts
 * import { splitPayload } from "./chunking.ts";
 * splitPayload(new Uint8Array(10), 4).map((c) => c.length); // [4, 4, 2]
 * ```
 */
export function splitPayload(payload: Uint8Array, chunkBytes: number): Uint8Array[] {
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) {
    throw new RangeError(`chunk size must be a positive integer, got ${chunkBytes}`);
  }
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += chunkBytes) {
    chunks.push(payload.subarray(at, at + chunkBytes));
  }
  return chunks.length > 0 ? chunks : [payload];
}

/**
 * Renders the `Steward-Chunk` header value of a chunk.
 *
 * @example
 * ```ts
 * import { formatChunkHeader } from "./chunking.ts";
 * formatChunkHeader({ id: "abc", index: 1, count: 3, total: 2500000 }); // "abc 1 3 2500000"
 * ```
 */
export function formatChunkHeader(info: ChunkInfo): string {
  return `${info.id} ${info.index} ${info.count} ${info.total}`;
}

/**
 * Reads a `Steward-Chunk` header value; returns why it is malformed as a string.
 *
 * @example
 * ```ts
 * import { parseChunkHeader } from "./chunking.ts";
 * parseChunkHeader("abc 1 3 2500000"); // { id: "abc", index: 1, count: 3, total: 2500000 }
 * ```
 */
export function parseChunkHeader(value: string): ChunkInfo | string {
  const parts = value.trim().split(" ");
  const bad = `malformed ${CHUNK_HEADER} header ${JSON.stringify(value.slice(0, 100))}`;
  if (parts.length !== 4 || parts[0] === "" || parts[0].length > 64) return bad;
  const [index, count, total] = parts.slice(1).map((p) => /^\d{1,12}$/.test(p) ? Number(p) : -1);
  if (index < 0 || count < 1 || total < 0 || index >= count) return bad;
  return { id: parts[0], index, count, total };
}

/** Options of {@linkcode Reassembler}. */
export interface ReassemblerOptions {
  /** Largest whole message accepted, in bytes. */
  maxMessageBytes: number;
  /** Largest sum of the sizes of messages being assembled at once, in bytes. */
  maxBufferedBytes: number;
  /** An incomplete message that gets no chunk for this long is dropped (default 60 s). */
  idleTimeoutMs?: number;
  /** Clock, for tests (default `Date.now`). */
  now?: () => number;
}

/** What {@linkcode Reassembler.add} made of a chunk. */
export type AddOutcome =
  /** Kept; more chunks are expected. */
  | { status: "stored" }
  /** The last chunk: the whole message, in order. */
  | { status: "complete"; payload: Uint8Array }
  /** The chunks before this one are missing: the sender should resend from `from`. */
  | { status: "gap"; from: number; error: string }
  /** No room now for another message; the sender should retry later from chunk `from`. */
  | { status: "busy"; from: number; error: string }
  /** Never acceptable (too large, inconsistent): the sender should give up. */
  | { status: "refused"; error: string };

interface Assembly {
  count: number;
  total: number;
  parts: Uint8Array[];
  bytes: number;
  touched: number;
}

/**
 * Collects the chunks of messages by id, in order, within a memory budget, and hands back each
 * message once its last chunk arrives. Incomplete messages are dropped after an idle timeout.
 *
 * @example
 * ```ts
 * import { Reassembler, splitPayload } from "./chunking.ts";
 * const r = new Reassembler({ maxMessageBytes: 100, maxBufferedBytes: 100 });
 * const parts = splitPayload(new TextEncoder().encode("hello world"), 4);
 * let last;
 * parts.forEach((p, index) => {
 *   last = r.add({ id: "m1", index, count: parts.length, total: 11 }, p);
 * });
 * // last is { status: "complete", payload: <the 11 bytes> }
 * ```
 */
export class Reassembler {
  #options: Required<ReassemblerOptions>;
  #assemblies = new Map<string, Assembly>();
  #reserved = 0;

  constructor(options: ReassemblerOptions) {
    this.#options = { idleTimeoutMs: 60_000, now: Date.now, ...options };
  }

  /** Messages being assembled. */
  get pending(): number {
    return this.#assemblies.size;
  }

  /** Bytes reserved for messages being assembled (their declared sizes). */
  get reservedBytes(): number {
    return this.#reserved;
  }

  /** True while chunks of message `id` are held. */
  has(id: string): boolean {
    return this.#assemblies.has(id);
  }

  /** Takes one chunk. A resent chunk already held is accepted again without harm. */
  add(info: ChunkInfo, bytes: Uint8Array): AddOutcome {
    const now = this.#options.now();
    this.sweep(now);
    const { maxMessageBytes, maxBufferedBytes } = this.#options;
    if (info.total > maxMessageBytes) {
      this.#drop(info.id);
      return {
        status: "refused",
        error: `message ${info.id} of ${info.total} bytes exceeds the maxMessageSize of ` +
          `${maxMessageBytes} bytes`,
      };
    }
    let a = this.#assemblies.get(info.id);
    if (a && (a.count !== info.count || a.total !== info.total)) {
      // The sender started over with a different split (its broker changed): start over too.
      this.#drop(info.id);
      a = undefined;
    }
    if (!a) {
      if (info.index !== 0) {
        return {
          status: "gap",
          from: 0,
          error: `chunk ${info.index} of message ${info.id} arrived without the ones before it`,
        };
      }
      if (this.#reserved + info.total > maxBufferedBytes) {
        return {
          status: "busy",
          from: 0,
          error: `receiver is assembling ${this.#reserved} bytes already (limit ` +
            `${maxBufferedBytes}); retry later`,
        };
      }
      a = { count: info.count, total: info.total, parts: [], bytes: 0, touched: now };
      this.#assemblies.set(info.id, a);
      this.#reserved += info.total;
    }
    a.touched = now;
    if (info.index < a.parts.length) return { status: "stored" }; // A resend: already held.
    if (info.index > a.parts.length) {
      return {
        status: "gap",
        from: a.parts.length,
        error: `chunk ${info.index} of message ${info.id} arrived before chunk ${a.parts.length}`,
      };
    }
    if (a.bytes + bytes.length > a.total) {
      this.#drop(info.id);
      return {
        status: "refused",
        error: `chunks of message ${info.id} hold more than the ${a.total} bytes announced`,
      };
    }
    // Copy: the caller's buffer may be reused once we return.
    a.parts.push(bytes.slice());
    a.bytes += bytes.length;
    if (a.parts.length < a.count) return { status: "stored" };
    this.#drop(info.id);
    if (a.bytes !== a.total) {
      return {
        status: "refused",
        error: `message ${info.id} reassembled to ${a.bytes} bytes, ${a.total} were announced`,
      };
    }
    const payload = new Uint8Array(a.total);
    let at = 0;
    for (const p of a.parts) {
      payload.set(p, at);
      at += p.length;
    }
    return { status: "complete", payload };
  }

  /** Forgets the chunks of message `id` (it was executed, or abandoned). */
  forget(id: string): void {
    this.#drop(id);
  }

  /** Drops incomplete messages that got no chunk within the idle timeout; returns their ids. */
  sweep(now: number = this.#options.now()): string[] {
    const dropped: string[] = [];
    for (const [id, a] of this.#assemblies) {
      if (now - a.touched > this.#options.idleTimeoutMs) {
        this.#drop(id);
        dropped.push(id);
      }
    }
    return dropped;
  }

  #drop(id: string): void {
    const a = this.#assemblies.get(id);
    if (!a) return;
    this.#assemblies.delete(id);
    this.#reserved -= a.total;
  }
}
