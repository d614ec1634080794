/**
 * The seal of one chunk: the sender's signed statement of which transfer a chunk belongs to and
 * what it holds. A chunk is claimed, reserved or buffered only once its seal verifies, so that a
 * sender nobody trusts cannot take the receiver's assembly memory; and the seal names the
 * receiver, the subject, the chunk's place and its SHA-256, so a sealed chunk cannot be replayed
 * into another transfer or made to carry other bytes.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { nodeName } from "../message/schema.ts";
import type { ChunkInfo } from "./chunking.ts";

/** The NATS header carrying a chunk's seal: signed JSON of {@linkcode ChunkSealFields}. */
export const CHUNK_SEAL_HEADER = "Steward-Chunk-Seal";

/** What a chunk's seal states (signed with `signedAt` and `signature` added). */
export interface ChunkSealFields extends ChunkInfo {
  /** The sender, whose key signs the seal. */
  fromNode: string;
  /** The receiver the chunk is for. */
  toNode: string;
  /** The NATS subject the chunk is published on. */
  subject: string;
  /** SHA-256 of the chunk's bytes, in hex. */
  sha256: string;
}

// Only what a seal may hold: a seal with other members, or other types, is malformed.
const sealSchema = z.object({
  id: z.string().min(1).max(64),
  index: z.number().int().min(0),
  count: z.number().int().min(1),
  total: z.number().int().min(0),
  fromNode: nodeName,
  toNode: nodeName,
  subject: z.string().max(300),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  signedAt: z.number(),
  signature: z.string().max(200),
}).strict();

/** A seal as read from the wire: the checked fields and the raw object its signature covers. */
export interface ChunkSeal {
  fields: ChunkSealFields;
  raw: Record<string, unknown>;
}

/**
 * SHA-256 of `bytes`, in hex.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./chunk_seal.ts";
 * (await sha256Hex(new Uint8Array())).slice(0, 8); // "e3b0c442"
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return digest.toHex();
}

/**
 * Reads a `Steward-Chunk-Seal` header value; returns why it is malformed as a string.
 *
 * @example
 * ```ts
 * import { parseChunkSeal } from "./chunk_seal.ts";
 * parseChunkSeal("{"); // "malformed Steward-Chunk-Seal header: not JSON"
 * ```
 */
export function parseChunkSeal(value: string): ChunkSeal | string {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return `malformed ${CHUNK_SEAL_HEADER} header: not JSON`;
  }
  const parsed = sealSchema.safeParse(raw);
  if (!parsed.success) return `malformed ${CHUNK_SEAL_HEADER} header: wrong fields`;
  const { signedAt: _t, signature: _s, ...fields } = parsed.data;
  return { fields, raw: raw as Record<string, unknown> };
}

/**
 * Why a chunk does not match its seal (another place, receiver, subject or content), if it
 * does not. The signature itself is checked by the node's security, not here.
 *
 * @example
 * ```ts ignore
 * import { checkChunkSeal } from "./chunk_seal.ts";
 * const problem = await checkChunkSeal(seal.fields, { info, toNode: "ship1", subject, data });
 * ```
 */
export async function checkChunkSeal(
  seal: ChunkSealFields,
  chunk: { info: ChunkInfo; toNode: string; subject: string; data: Uint8Array },
): Promise<string | undefined> {
  const { info } = chunk;
  const what = `chunk ${info.index} of message ${info.id}`;
  if (
    seal.id !== info.id || seal.index !== info.index || seal.count !== info.count ||
    seal.total !== info.total
  ) {
    return `${what} refused: its seal names another chunk (${seal.id} ${seal.index}/${seal.count})`;
  }
  if (seal.toNode !== chunk.toNode || seal.subject !== chunk.subject) {
    return `${what} refused: its seal is for ${seal.subject}, not ${chunk.subject}`;
  }
  if (seal.sha256 !== await sha256Hex(chunk.data)) {
    return `${what} refused: its bytes are not those its seal names`;
  }
  return undefined;
}
