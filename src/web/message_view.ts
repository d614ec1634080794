/**
 * The messages central sent, each with the furthest state known: joined from the tail of the
 * audit log (published, ACKed, failed), the in-flight store (waiting) and the replies central
 * handled since the page started (executed, replied, failed).
 *
 * @module
 */
import type { Message } from "../message/schema.ts";

/**
 * How far a message got: `waiting` (accepted, not yet sent), `published` (sent, no ACK yet),
 * `ACKed` (its receiver took it), `executed` (a first part of a streaming result came back),
 * `replied` (its last reply came back, ok), `failed` (not delivered, refused, superseded, or
 * replied with an error).
 */
export type MessageState = "waiting" | "published" | "ACKed" | "executed" | "replied" | "failed";

/** Every state, in the order a message goes through them. */
export const MESSAGE_STATES: readonly MessageState[] = [
  "waiting",
  "published",
  "ACKed",
  "executed",
  "replied",
  "failed",
];

/** One line of the audit log (see `src/audit.ts`). */
export interface AuditEntry {
  time: string;
  event: string;
  subject: string;
  detail?: string;
  message: { id: string } & Partial<Message>;
}

/** A reply central handled, by the id of the request it answers. */
export interface ReplySeen {
  /** Id of the request. */
  id: string;
  /** The node that answered, and the request's method. */
  node: string;
  method: string;
  ok: boolean;
  /** True for the last reply (a non-streaming method's only one). */
  last: boolean;
  error?: string;
  /** When central handled it (ms since the epoch). */
  at: number;
}

/** One message as the page shows it. */
export interface MessageRow {
  id: string;
  /** When it was accepted or first published (ISO 8601). */
  time: string;
  toNode: string;
  fromNode: string;
  method: string;
  isReply: boolean;
  state: MessageState;
  /** Why it failed, or what else the audit said. */
  detail: string;
}

/** What to show: a state, and text found in the id, nodes, method or detail. */
export interface MessageFilter {
  state?: MessageState;
  text?: string;
  /** Most rows returned, newest first (default 200). */
  limit?: number;
}

/** The facts {@linkcode messageView} joins. */
export interface MessageFacts {
  /** Audit lines, oldest first. */
  audit: readonly AuditEntry[];
  /** Messages in the in-flight store. */
  inflight: readonly Message[];
  /** Replies handled, oldest first. */
  replies: readonly ReplySeen[];
}

const RANK: Record<MessageState, number> = {
  waiting: 0,
  published: 1,
  ACKed: 2,
  executed: 3,
  replied: 4,
  failed: 5,
};

/**
 * True when `value` names a message state.
 *
 * @example
 * ```ts
 * import { isMessageState } from "./message_view.ts";
 * isMessageState("ACKed"); // true
 * isMessageState("acked"); // false
 * ```
 */
export function isMessageState(value: unknown): value is MessageState {
  return typeof value === "string" && Object.hasOwn(RANK, value);
}

/**
 * Joins the facts into one row per message with its furthest state, newest first, filtered and
 * bounded by `filter`.
 *
 * @example
 * ```ts
 * import { messageView } from "./message_view.ts";
 * const rows = messageView({
 *   audit: [
 *     { time: "2026-12-01T10:00:00.000Z", event: "published", subject: "ship1.REQPing",
 *       message: { id: "a", toNode: "ship1", fromNode: "central", method: "REQPing" } },
 *     { time: "2026-12-01T10:00:00.010Z", event: "delivered", subject: "ship1.REQPing",
 *       message: { id: "a" } },
 *   ],
 *   inflight: [],
 *   replies: [],
 * });
 * console.assert(rows[0].state === "ACKed");
 * ```
 */
export function messageView(facts: MessageFacts, filter: MessageFilter = {}): MessageRow[] {
  const rows = new Map<string, MessageRow>();
  const advance = (row: MessageRow, state: MessageState, detail?: string) => {
    if (row.state === "failed" || RANK[state] < RANK[row.state]) return;
    row.state = state;
    if (detail) row.detail = detail;
  };
  const fromMessage = (m: Partial<Message> & { id: string }, time: string): MessageRow => ({
    id: m.id,
    time,
    toNode: m.toNode ?? "",
    fromNode: m.fromNode ?? "",
    method: m.method ?? "",
    isReply: m.isReply === true,
    state: "waiting",
    detail: "",
  });
  for (const e of facts.audit) {
    const id = e.message?.id;
    if (typeof id !== "string") continue;
    let row = rows.get(id);
    if (!row) {
      // An outcome whose "published" line rotated away still names its subject.
      const [toNode = "", method = ""] = e.subject.split(".");
      row = fromMessage({ toNode, method, ...e.message }, e.time);
      rows.set(id, row);
    }
    if (e.event === "published") advance(row, "published");
    else if (e.event === "delivered") advance(row, "ACKed");
    else if (e.event === "superseded") advance(row, "failed", `superseded ${e.detail ?? ""}`);
    else if (e.event === "failed" || e.event === "refused") {
      advance(row, "failed", `${e.event}: ${e.detail ?? ""}`);
    }
  }
  for (const m of facts.inflight) {
    if (!rows.has(m.id)) rows.set(m.id, fromMessage(m, new Date(m.createdAt).toISOString()));
  }
  for (const r of facts.replies) {
    let row = rows.get(r.id);
    if (!row) {
      row = fromMessage(
        { id: r.id, toNode: r.node, method: r.method },
        new Date(r.at).toISOString(),
      );
      rows.set(r.id, row);
    }
    if (!r.ok) advance(row, "failed", r.error ?? "failed");
    else advance(row, r.last ? "replied" : "executed");
  }
  const text = filter.text?.trim().toLowerCase() ?? "";
  const limit = Math.max(1, filter.limit ?? 200);
  const out: MessageRow[] = [];
  const all = [...rows.values()].sort((a, b) =>
    a.time < b.time ? 1 : a.time > b.time ? -1 : a.id < b.id ? 1 : -1
  );
  for (const row of all) {
    if (filter.state && row.state !== filter.state) continue;
    if (text && !matches(row, text)) continue;
    out.push(row);
    if (out.length >= limit) break;
  }
  return out;
}

function matches(row: MessageRow, text: string): boolean {
  return [row.id, row.toNode, row.fromNode, row.method, row.detail].some((v) =>
    v.toLowerCase().includes(text)
  );
}
