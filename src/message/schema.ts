/**
 * The message format: the seed's fields, validated with zod at every boundary.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { defineOwn } from "./field_names.ts";

/**
 * Node names become NATS subject tokens, so they may not hold `.`, `*`, `>` or spaces; nor may
 * they start with `_` or `$`, which NATS reserves (`_INBOX` for replies, `$SYS`, `$JS`, `$KV`,
 * `$O` for the server, JetStream and its stores): a node so named would receive, or shadow,
 * traffic that is not its own.
 */
export const NODE_NAME_PATTERN = /^(?![_$])[A-Za-z0-9_-]{1,128}$/;

/** What a node name that {@linkcode NODE_NAME_PATTERN} refuses breaks, said in every refusal. */
export const NODE_NAME_RULE = "must be 1-128 letters, digits, '_' or '-', not starting with '_' " +
  "(names starting with '_' or '$', such as _INBOX or $SYS, are reserved by NATS)";

/**
 * Why `name` cannot be a node name, or undefined when it can.
 *
 * @example
 * ```ts
 * import { nodeNameProblem } from "./schema.ts";
 * nodeNameProblem("ship1"); // undefined
 * nodeNameProblem("_INBOX"); // "reserved: names starting with '_' or '$' …"
 * ```
 */
export function nodeNameProblem(name: string): string | undefined {
  if (NODE_NAME_PATTERN.test(name)) return undefined;
  if (/^[_$]/.test(name)) {
    return "reserved: names starting with '_' or '$' (such as _INBOX, $SYS, $JS, $KV) belong " +
      "to NATS";
  }
  return NODE_NAME_RULE;
}

/** The four message kinds that end a subject: `<node>.<method>.<event>`. */
export const EVENTS = ["CommandACK", "EventACK", "CommandNACK", "EventNACK"] as const;
/** One of {@linkcode EVENTS}. */
export type Event = typeof EVENTS[number];

/** Method spellings found in the seed's examples, mapped to the method they mean. */
export const METHOD_ALIASES: Readonly<Record<string, string>> = {
  REQnCliCommand: "REQCliCommand",
  REQnCliCommandCont: "REQCliCommandCont",
};

/** Field spellings found in the seed's examples, mapped to the field they mean. */
export const FIELD_ALIASES: Readonly<Record<string, string>> = {
  replyMethodTimeOut: "replyMethodTimeout",
  toHosts: "toNodes",
};

/** A node name, valid as one NATS subject token. */
export const nodeName = z.string().superRefine((name, ctx) => {
  const problem = nodeNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: `${problem} (it is a NATS subject token)` });
});

const seconds = z.number().int("must be a whole number of seconds").min(0, "must not be negative")
  .max(
    31_536_000,
    "must be at most one year",
  );
const count = z.number().int("must be a whole number").min(0, "must not be negative").max(
  1_000_000,
);

/** `data` is a string; the seed also used an array of lines, which is joined with newlines. */
const data = z.union([z.string(), z.array(z.string())]).transform((d) =>
  Array.isArray(d) ? d.join("\n") : d
);

/** The `operation` of a `REQOpCommand`: `ps`, `startProc` or `stopProc` with its arguments. */
export const operationSchema = z.object({
  opCmd: z.enum(["ps", "startProc", "stopProc"]),
  opArg: z.object({
    method: z.string().optional(),
    kind: z.enum(["publisher", "subscriber"]).optional(),
    receivingNode: nodeName.optional(),
    allowedNodes: z.array(z.union([nodeName, z.literal("*")])).optional(),
    id: z.union([z.string(), z.number()]).optional(),
  }).strict().optional(),
}).strict();

/** The fields an operator may give; shared by the input schema and the wire schema. */
const operatorFields = {
  toNode: nodeName.optional(),
  toNodes: z.array(nodeName).min(1, "must name at least one node").optional(),
  method: z.string().min(1, "is required"),
  methodArgs: z.array(z.string()).default([]),
  replyMethod: z.string().optional(),
  replyMethodArgs: z.array(z.string()).default([]),
  ACKTimeout: seconds.optional(),
  retries: count.optional(),
  replyACKTimeout: seconds.optional(),
  replyRetries: count.optional(),
  methodTimeout: seconds.optional(),
  replyMethodTimeout: seconds.optional(),
  directory: z.string().max(4096).default(""),
  fileName: z.string().max(255).default(""),
  data: data.default(""),
  operation: operationSchema.optional(),
};

/** What an operator or playbook sends into an agent (one element of the input array). */
export const inputMessageSchema = z.object({
  ...operatorFields,
  /**
   * Chosen by the client: a message sent again with the same key while the node remembers it
   * (-dedupRetentionSeconds) is answered with the first one's ids, not stored or run again.
   */
  idempotencyKey: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters")
    .optional(),
}).strict().refine(
  (m) => m.toNode !== undefined || m.toNodes !== undefined,
  { message: "toNode or toNodes is required", path: ["toNode"] },
);

/** An input message after parsing, before the agent stamps it. */
export type InputMessage = z.infer<typeof inputMessageSchema>;

/** A summary of the request a reply answers, carried in every reply. */
export const previousMessageSchema = z.object({
  id: z.string(),
  method: z.string(),
  toNode: nodeName,
  fromNode: nodeName,
  methodArgs: z.array(z.string()),
  createdAt: z.number().optional(),
});

/** A message as agents exchange it over NATS and keep it in KV. */
export const messageSchema = z.object({
  ...operatorFields,
  toNode: nodeName,
  toNodes: z.undefined().optional(),
  id: z.string().min(1).max(64),
  fromNode: nodeName,
  ACKTimeout: seconds,
  retries: count,
  replyACKTimeout: seconds,
  replyRetries: count,
  methodTimeout: seconds,
  replyMethodTimeout: seconds,
  createdAt: z.number(),
  isReply: z.boolean().default(false),
  previousMessage: previousMessageSchema.optional(),
  ok: z.boolean().optional(),
  error: z.string().optional(),
  /** Position of a partial reply from a streaming method, starting at 0. */
  seq: z.number().int().min(0).optional(),
  /** Set on the last reply of a streaming method. */
  final: z.boolean().optional(),
  /** When the sender signed this send (ms since the epoch); see src/security/signature.ts. */
  signedAt: z.number().optional(),
  /** Ed25519 signature (base64) over the canonical JSON of every other field. */
  signature: z.string().optional(),
  /** REQHello: the sender's Ed25519 public key (base64), for central to collect. */
  publicKey: z.string().optional(),
  /** REQHello: version of the trusted set the sender holds (-1: none yet). */
  trustVersion: z.number().int().optional(),
});

/** A stamped message: what travels between agents. */
export type Message = z.infer<typeof messageSchema>;

/** What a subscriber answers on a message's reply subject. */
export const ackSchema = z.object({
  id: z.string(),
  ok: z.boolean(),
  duplicate: z.boolean().optional(),
  error: z.string().optional(),
});

/** An ACK or a refusal from the receiving node. */
export type Ack = z.infer<typeof ackSchema>;

/**
 * Formats zod issues as one line that names each offending field.
 *
 * @example
 * ```ts
 * import { inputMessageSchema, describeIssues } from "./schema.ts";
 * const r = inputMessageSchema.safeParse({ method: "REQPing" });
 * if (!r.success) console.log(describeIssues(r.error.issues)); // toNode: toNode or toNodes is required
 * ```
 */
export function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string; code?: string }[],
): string {
  return issues.map((i) => {
    const field = i.path.map(String).join(".");
    if (i.code === "unrecognized_keys") {
      return i.message.replace("Unrecognized key", "unknown field");
    }
    return field ? `${field}: ${i.message}` : i.message;
  }).join("; ");
}

/**
 * Renames the seed's alternative spellings of fields and methods to their canonical names.
 *
 * @example
 * ```ts
 * import { normalizeSpellings } from "./schema.ts";
 * normalizeSpellings({ method: "REQnCliCommand", replyMethodTimeOut: 5 });
 * // { method: "REQCliCommand", replyMethodTimeout: 5 }
 * ```
 */
export function normalizeSpellings(raw: unknown): unknown {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  // Nearly every message uses the canonical spellings: return it as it is, without the copy
  // (the copy was 2.4% of central's CPU in a profile of the 1000-ping run).
  const given = raw as Record<string, unknown>;
  const isAlias = (v: unknown) => typeof v === "string" && Object.hasOwn(METHOD_ALIASES, v);
  if (
    !Object.keys(given).some((key) => Object.hasOwn(FIELD_ALIASES, key)) &&
    !isAlias(given.method) && !isAlias(given.replyMethod)
  ) return raw;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    defineOwn(out, Object.hasOwn(FIELD_ALIASES, key) ? FIELD_ALIASES[key] : key, value);
  }
  for (const field of ["method", "replyMethod"]) {
    const v = out[field];
    if (typeof v === "string" && Object.hasOwn(METHOD_ALIASES, v)) out[field] = METHOD_ALIASES[v];
  }
  return out;
}
