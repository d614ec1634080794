/**
 * Turns raw input (from the socket, TCP or HTTP) into accepted messages and answers.
 *
 * @module
 */
import { checkReplyPath } from "../message/paths.ts";
import { canonicalInput } from "../message/canonical_input.ts";
import type { Canonical } from "../message/field_names.ts";
import { describeIssues, inputMessageSchema, type Message } from "../message/schema.ts";
import { methodNamed } from "../methods/registry.ts";
import { missingArgs } from "../methods/method_args.ts";
import { dataCommandRefusal } from "../methods/command_with_data.ts";
import { COMMAND_METHODS } from "../security/acl.ts";
import type { IntakePort } from "./intake_port.ts";
import { type KeyRecord, MAX_KEY_LENGTH } from "../store/idempotency_keys.ts";

/** The answer to one input message. */
export type Answer =
  | {
    status: "accepted";
    index: number;
    id: string;
    toNode: string;
    method: string;
    /** Sent before with the same idempotencyKey: this is the first one's id, nothing new. */
    duplicate?: true;
  }
  | { status: "rejected"; index?: number; error: string };

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Checks one input message beyond its schema: a known method, a usable reply method, a safe
 * reply path and a size within the limit. Returns the reason it is refused, or undefined.
 */
function refusal(
  m: Message | {
    method: string;
    methodArgs: string[];
    replyMethod?: string;
    replyMethodArgs: string[];
    directory: string;
    fileName: string;
    data: string;
  },
  maxBytes: number,
): string | undefined {
  const def = methodNamed(m.method);
  if (!def) return `method: unknown method "${m.method}"`;
  const args = missingArgs(def.name, def.methodArgs, m.methodArgs, "methodArgs");
  if (args) return args;
  if (m.replyMethod !== undefined && m.replyMethod !== "") {
    const reply = methodNamed(m.replyMethod);
    if (!reply) return `replyMethod: unknown method "${m.replyMethod}"`;
    if (!reply.replyTarget) return `replyMethod: ${m.replyMethod} cannot handle replies`;
    const replyArgs = missingArgs(
      reply.name,
      reply.methodArgs,
      m.replyMethodArgs,
      "replyMethodArgs",
    );
    if (replyArgs) return replyArgs;
  }
  // Where {{STEWARD_DATA}} would let another node's output become code, the operator learns it
  // now, with the forms that are allowed; the command is checked again before it runs.
  if (m.replyMethod !== undefined && COMMAND_METHODS.has(m.replyMethod)) {
    const why = dataCommandRefusal(m.replyMethodArgs);
    if (why) return `replyMethodArgs: ${why}`;
  }
  if (COMMAND_METHODS.has(m.method)) {
    const why = dataCommandRefusal(m.methodArgs);
    if (why) return `methodArgs: ${why}`;
  }
  const path = checkReplyPath(m.directory, m.fileName);
  if (path) return path;
  if (m.data.length > maxBytes) return `data: larger than the limit of ${maxBytes} bytes`;
  return undefined;
}

/** The outcome of taking in one input value: an answer per message, and what was accepted. */
export interface Intake {
  answers: Answer[];
  /** The stamped messages that were stored and queued, one per target node. */
  messages: Message[];
}

/**
 * Decodes and parses one complete JSON value of input.
 *
 * @example
 * ```ts
 * import { parseInput } from "./intake.ts";
 * parseInput(new TextEncoder().encode("[1]")); // { value: [1] }
 * ```
 */
export function parseInput(bytes: Uint8Array): { value: unknown } | { error: string } {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { error: "input is not valid UTF-8" };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { error: `malformed JSON: ${(err as Error).message}` };
  }
}

/**
 * Validates one complete JSON value (an array of messages, or one message), stamps and stores
 * the valid ones, and answers each: accepted with its id, or rejected with the reason.
 * Rejections are also reported to the central error log.
 *
 * @example
 * ```ts
 * import { intake } from "./intake.ts";
 * import type { IntakePort } from "./intake_port.ts";
import { type KeyRecord, MAX_KEY_LENGTH } from "../store/idempotency_keys.ts";
 * import { defaultConfig } from "../config.ts";
 * import { Outbox } from "../node/outbox.ts";
 * // A node that keeps nothing: an outbox over no store, and refusals printed.
 * const config = defaultConfig({ nodeName: "central" });
 * const nothing = { inc() {}, set() {} };
 * const outbox = new Outbox({
 *   config,
 *   inflight: { put: () => Promise.resolve(), size: 0 },
 *   chains: { remember: () => Promise.resolve() },
 *   metrics: { accepted: nothing, inflight: nothing, ringBufferDepth: nothing },
 * });
 * const node: IntakePort = {
 *   config,
 *   configFolder: ".",
 *   metrics: { rejected: nothing },
 *   supervisor: { start: () => { throw new Error("no listeners in this example"); } },
 *   inflightCount: 0,
 *   stamp: (m) => outbox.stamp(m),
 *   submit: (ms, alongWith, options) => outbox.submit(ms, alongWith, options),
 *   onReply: () => () => {},
 *   reportError: (text) => console.error(text),
 *   print: (line) => console.log(line),
 * };
 * const bytes = new TextEncoder().encode('[{"toNode":"ship1","method":"REQPing"},{"method":"x"}]');
 * const [ping, unknown] = await intake(node, bytes, "socket");
 * console.assert(ping.status === "accepted" && unknown.status === "rejected");
 * ```
 */
export async function intake(
  node: IntakePort,
  bytes: Uint8Array,
  input: string,
): Promise<Answer[]> {
  const parsed = parseInput(bytes);
  if ("error" in parsed) return [rejectInput(node, input, parsed.error)];
  return (await intakeValue(node, parsed.value, input)).answers;
}

/** Counts and reports a rejection, and returns its answer. */
export function rejectInput(
  node: IntakePort,
  input: string,
  error: string,
  index?: number,
): Answer {
  node.metrics.rejected.inc({ input });
  node.reportError(`input rejected (${input}): ${error}`);
  return { status: "rejected", ...(index === undefined ? {} : { index }), error };
}

/**
 * Takes in an already parsed input value: an array of messages, or one message.
 *
 * @example
 * ```ts ignore
 * import { intakeValue } from "./intake.ts";
 * const { answers, messages } = await intakeValue(node, [{ toNode: "ship1", method: "REQPing" }], "socket");
 * ```
 */
export async function intakeValue(node: IntakePort, raw: unknown, input: string): Promise<Intake> {
  const reject = (error: string, index?: number) => rejectInput(node, input, error, index);
  if (Array.isArray(raw) && raw.length === 0) {
    return { answers: [reject("the input held no message (an empty array)")], messages: [] };
  }
  // Spellings are made canonical once, here: everything after (keys, schema) sees one name.
  const items = (Array.isArray(raw) ? raw : [raw]).map((item) => canonicalInput(item));
  const answers: Answer[] = [];
  const accepted: Message[] = [];
  const stored: Promise<void>[] = [];
  let pending: Message[] = [];
  let pendingKeys: { key: string; record: KeyRecord }[] = [];
  // Keys seen before (or by another input now), read in one go; the new ones are ours to
  // settle, each once its slice is stored or not.
  const seen = await claimKeys(node, items);
  const mine = new Map<string, KeyRecord>();
  const submittedKeys = new Set<string>();
  // Stored and sent a slice at a time: the first commands of a long array leave (and their
  // results come back) while the rest is still being checked, and a commit holds a slice.
  const submitPending = () => {
    const slice = pending;
    const keys = pendingKeys;
    pending = [];
    pendingKeys = [];
    for (const { key } of keys) submittedKeys.add(key);
    const writes = keys.map(({ key, record }) => node.idempotency!.write(key, record));
    // Sent while its commit is in flight; "accepted" is answered only once it is durable.
    const done = node.submit(slice, writes, { sendEarly: true }).then(
      () => {
        keys.forEach(({ key, record }) => node.idempotency!.settle(key, record));
        for (const m of slice) node.events?.accepted(m, input);
      },
      (err) => {
        keys.forEach(({ key }) => node.idempotency!.settle(key, undefined));
        const error = `not stored: ${(err as Error).message}`;
        const ids = new Set(slice.map((m) => m.id));
        for (const [i, a] of answers.entries()) {
          if (a.status === "accepted" && ids.has(a.id)) answers[i] = reject(error, a.index);
        }
        for (const m of slice) accepted.splice(accepted.indexOf(m), 1);
      },
    );
    stored.push(done);
  };
  try {
    for (const [index, canonical] of items.entries()) {
      if ("error" in canonical) {
        answers.push(reject(canonical.error, index));
        continue;
      }
      const item = canonical.value;
      if (item === null || typeof item !== "object" || Array.isArray(item)) {
        answers.push(reject("expected a message object", index));
        continue;
      }
      const parsed = inputMessageSchema.safeParse(item);
      if (!parsed.success) {
        answers.push(reject(describeIssues(parsed.error.issues), index));
        continue;
      }
      const why = refusal(parsed.data, node.config.maxMessageSize);
      if (why) {
        answers.push(reject(why, index));
        continue;
      }
      const key = parsed.data.idempotencyKey;
      const before = key === undefined ? undefined : seen.get(key) ?? mine.get(key);
      if (before) {
        for (const r of before.ids) {
          answers.push({ status: "accepted", index, ...r, duplicate: true });
        }
        continue;
      }
      const stamped = node.stamp(parsed.data);
      for (const m of stamped) {
        accepted.push(m);
        pending.push(m);
        answers.push({ status: "accepted", index, id: m.id, toNode: m.toNode, method: m.method });
      }
      if (key !== undefined && node.idempotency) {
        const record = {
          ids: stamped.map((m) => ({ id: m.id, toNode: m.toNode, method: m.method })),
          at: Date.now(),
        };
        mine.set(key, record);
        pendingKeys.push({ key, record });
      }
      if (pending.length >= SUBMIT_SLICE) {
        submitPending();
        // Lets the outbox send the slice before the next one is checked.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    if (pending.length > 0) submitPending();
  } finally {
    // Claimed and never stored (refused, or an error above): free for a resend.
    for (const [key, record] of seen) {
      if (record === undefined && !submittedKeys.has(key)) node.idempotency?.settle(key, undefined);
    }
  }
  await Promise.all(stored);
  return { answers, messages: accepted };
}

/**
 * Claims the idempotency keys of the items that carry one (a string; the schema checks them
 * later): a map from each key to the record of an earlier message, or to undefined for a new
 * key, which is then the caller's to settle.
 */
async function claimKeys(
  node: IntakePort,
  items: readonly Canonical[],
): Promise<Map<string, KeyRecord | undefined>> {
  if (!node.idempotency) return new Map();
  const keys = items.flatMap((item) => {
    if ("error" in item) return [];
    const key = (item.value as { idempotencyKey?: unknown } | null)?.idempotencyKey;
    return typeof key === "string" && key.length > 0 && key.length <= MAX_KEY_LENGTH ? [key] : [];
  });
  return keys.length === 0 ? new Map() : await node.idempotency.claim(keys);
}

/** Messages of one input stored and sent together (see {@linkcode intakeValue}). */
const SUBMIT_SLICE = 32;
