/**
 * The wire of a file copy between two nodes. The source pushes the file in chunks as NATS
 * requests to `<destination>.REQCopyDst.chunks`, one at a time; the destination answers each
 * with where it stands. Both directions carry a chunk seal (`chunk_seal.ts`): signed by the
 * sender's key, naming the copy, the chunk's place, the receiver, the subject and the SHA-256
 * of the bytes, so that a forged or tampered chunk, or a forged answer, is refused like any
 * unsigned message.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";

/** The header saying what a copy request is: a chunk, a status question or the finish. */
export const COPY_OP_HEADER = "Steward-Copy-Op";

/** What the source asks of the destination. */
export type CopyOp = "chunk" | "status" | "finish";

/**
 * The subject where `node` takes the chunks of copies to it.
 *
 * @example
 * ```ts
 * import { chunkSubject } from "./protocol.ts";
 * chunkSubject("central"); // "central.REQCopyDst.chunks"
 * ```
 */
export function chunkSubject(node: string): string {
  return `${node}.REQCopyDst.chunks`;
}

/**
 * The subject an answer's seal names: answers travel on the source's inbox, which is not
 * known in advance, so the seal names this instead.
 *
 * @example
 * ```ts
 * import { answerSubject } from "./protocol.ts";
 * answerSubject("ship1"); // "ship1.REQCopySrc.answers"
 * ```
 */
export function answerSubject(node: string): string {
  return `${node}.REQCopySrc.answers`;
}

/**
 * The destination's answer: the next chunk it needs (`next`), and why a chunk was not taken
 * (`mismatch`: its bytes were not those sealed, send it again); `done` (the whole file's
 * SHA-256) once the file is in place; `unknown` when it knows no such copy (yet); `error`
 * when the copy cannot go on.
 */
export const copyAnswerSchema = z.object({
  next: z.number().int().min(0),
  mismatch: z.boolean().optional(),
  done: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  unknown: z.boolean().optional(),
  error: z.string().max(2000).optional(),
}).strict();

/** A destination's answer. */
export type CopyAnswer = z.infer<typeof copyAnswerSchema>;

/** What the announcement (`REQCopyDst`'s `methodArgs`) tells the destination. */
export interface CopyPlan {
  /** The file to write (absolute, resolved on the destination). */
  dstPath: string;
  /** The copy's id (the `REQCopySrc` message id): the same across resends and restarts. */
  copyId: string;
  /** Size of the file in bytes. */
  size: number;
  /** Bytes per chunk (the last may be shorter). */
  chunkBytes: number;
  /** Mode of the file (its permission bits). */
  mode: number;
  /** Mode of the folders made for it; none are made when absent. */
  folderMode?: number;
  /** `uid:gid` to give the file, when the owner is kept. */
  owner?: string;
}

/**
 * How many chunks a file of `size` bytes has: at least one, so an empty file is sent too.
 *
 * @example
 * ```ts
 * import { chunkCount } from "./protocol.ts";
 * chunkCount(10, 4); // 3
 * chunkCount(0, 4); // 1
 * ```
 */
export function chunkCount(size: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(size / chunkBytes));
}

/**
 * The plan as `REQCopyDst`'s `methodArgs`.
 *
 * @example
 * ```ts
 * import { planArgs } from "./protocol.ts";
 * planArgs({ dstPath: "/in/a", copyId: "c1", size: 10, chunkBytes: 4, mode: 0o640 });
 * // ["/in/a", "c1", "10", "4", "640", "", ""]
 * ```
 */
export function planArgs(plan: CopyPlan): string[] {
  return [
    plan.dstPath,
    plan.copyId,
    `${plan.size}`,
    `${plan.chunkBytes}`,
    plan.mode.toString(8),
    plan.folderMode === undefined ? "" : plan.folderMode.toString(8),
    plan.owner ?? "",
  ];
}

const octal = (s: string) => /^[0-7]{1,4}$/.test(s) ? parseInt(s, 8) : undefined;

/**
 * Reads `REQCopyDst`'s `methodArgs` back; returns why they are malformed as a string.
 *
 * @example
 * ```ts
 * import { parsePlan } from "./protocol.ts";
 * parsePlan(["/in/a", "c1", "10", "4", "640", "", ""]); // { dstPath: "/in/a", copyId: "c1", … }
 * parsePlan(["/in/a"]); // "REQCopyDst: methodArgs must be [path, copyId, size, chunkBytes, mode, folderMode, owner]"
 * ```
 */
export function parsePlan(args: readonly string[]): CopyPlan | string {
  const [dstPath, copyId, size, chunkBytes, mode, folderMode = "", owner = ""] = args;
  const bad = "REQCopyDst: methodArgs must be [path, copyId, size, chunkBytes, mode, " +
    "folderMode, owner]";
  if (!dstPath || !copyId || !/^[A-Za-z0-9_-]{1,64}$/.test(copyId)) return bad;
  if (!/^\d{1,15}$/.test(size ?? "") || !/^\d{1,9}$/.test(chunkBytes ?? "")) return bad;
  const m = octal(mode ?? "");
  const fm = folderMode === "" ? undefined : octal(folderMode);
  if (m === undefined || (folderMode !== "" && fm === undefined)) return bad;
  if (owner !== "" && !/^\d+:\d+$/.test(owner)) return bad;
  const plan: CopyPlan = {
    dstPath,
    copyId,
    size: Number(size),
    chunkBytes: Number(chunkBytes),
    mode: m,
  };
  if (plan.chunkBytes < 1) return bad;
  if (fm !== undefined) plan.folderMode = fm;
  if (owner !== "") plan.owner = owner;
  return plan;
}
