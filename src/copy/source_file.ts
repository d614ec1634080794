/**
 * Reading the file a copy sends: a chunk at a time into a reused buffer, and the whole file's
 * SHA-256 carried along (or made again from the start) as the destination confirms chunks.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import type { CopyPlan } from "./protocol.ts";

/** Why a copy failed, for the operator as it is. */
export class CopyError extends Error {
  override name = "CopyError";
}

/**
 * `whole` (the hash of the first `from` chunks) carried on to the first `to` chunks: read
 * forward, or made again from the start when the destination stands before `from`.
 */
export async function hashTo(
  file: Deno.FsFile,
  buffer: Uint8Array,
  whole: Hash,
  from: number,
  to: number,
  plan: CopyPlan,
): Promise<Hash> {
  if (to < from) return await hashPrefix(file, buffer, Math.min(to * plan.chunkBytes, plan.size));
  for (let i = from; i < to; i++) {
    whole.update(await readChunk(file, buffer, i * plan.chunkBytes, plan));
  }
  return whole;
}

/** A new hash of the file's first `bytes` bytes (what a resumed copy has already sent). */
export async function hashPrefix(
  file: Deno.FsFile,
  buffer: Uint8Array,
  bytes: number,
): Promise<Hash> {
  const hash = createHash("sha256");
  await file.seek(0, Deno.SeekMode.Start);
  for (let left = bytes; left > 0;) {
    const n = await file.read(buffer.subarray(0, Math.min(buffer.length, left)));
    if (n === null) throw new CopyError("the file shrank while it was copied");
    hash.update(buffer.subarray(0, n));
    left -= n;
  }
  return hash;
}

/** Chunk `at` of the file, read into `buffer` (a view of it: valid until the next read). */
export async function readChunk(
  file: Deno.FsFile,
  buffer: Uint8Array,
  at: number,
  plan: CopyPlan,
): Promise<Uint8Array> {
  const length = Math.min(plan.chunkBytes, plan.size - at);
  await file.seek(at, Deno.SeekMode.Start);
  for (let got = 0; got < length;) {
    const n = await file.read(buffer.subarray(got, length));
    if (n === null) throw new CopyError("the file shrank while it was copied");
    got += n;
  }
  return buffer.subarray(0, length);
}
