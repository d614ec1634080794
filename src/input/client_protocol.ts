/**
 * The client protocol: how a playbook client asks an agent to take messages in and hand their
 * replies back as they arrive, over the unix socket, TCP or HTTP. Shared by the agent
 * (`client_session.ts`) and the playbook client (`src/dsl/client.ts`), so both read one
 * definition.
 *
 * The client writes one JSON value, the envelope:
 * `{"stewardClient": 1, "await": true, "timeout": 30, "messages": [...]}`.
 * The agent answers with one JSON line per event, in this order: one `accepted`/`rejected`
 * line per message (as for plain input), then, when `await` is true, one `reply` line per
 * reply to the accepted ids as the agent handles it, and last one `done` line (every target
 * answered) or `timeout` line (naming the ids still waiting). Then it closes the connection.
 * Plain input (an array or a message object) keeps its seed behaviour.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";

/** Version of the client protocol, sent as `stewardClient`. */
export const CLIENT_PROTOCOL_VERSION = 1;

/** The envelope a client sends; `timeout` is in seconds, as every timeout on the wire. */
export const clientEnvelopeSchema = z.object({
  stewardClient: z.literal(CLIENT_PROTOCOL_VERSION),
  /** Keep the connection open and hand back the replies (default false: answers only). */
  await: z.boolean().default(false),
  /** Longest wait for the replies, in seconds (default: from the messages' own timeouts). */
  timeout: z.number().positive().max(31_536_000).optional(),
  messages: z.array(z.unknown()).min(1, "must hold at least one message"),
}).strict();

/** A parsed client envelope. */
export type ClientEnvelope = z.infer<typeof clientEnvelopeSchema>;

/**
 * Tells a client envelope from plain input: an object carrying the `stewardClient` field.
 *
 * @example
 * ```ts
 * import { isClientEnvelope } from "./client_protocol.ts";
 * isClientEnvelope({ stewardClient: 1, messages: [] }); // true
 * isClientEnvelope({ toNode: "ship1", method: "REQPing" }); // false
 * ```
 */
export function isClientEnvelope(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) &&
    Object.hasOwn(value, "stewardClient");
}

/** One reply to an accepted message, as the agent hands it to a waiting client. */
export const replyLineSchema = z.object({
  status: z.literal("reply"),
  /** Id of the request this reply answers (the id given in its `accepted` line). */
  id: z.string(),
  /** The node that answered. */
  node: z.string(),
  ok: z.boolean(),
  data: z.string(),
  error: z.string().optional(),
  /** Position of a partial reply of a streaming method; lines come in `seq` order. */
  seq: z.number().int().min(0).optional(),
  /** Set on the last reply of a streaming method. */
  final: z.boolean().optional(),
  /** When the answering node created the reply (its clock, epoch ms). */
  repliedAt: z.number(),
});

/** Every line an agent writes to a client. */
export const clientLineSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("accepted"),
    index: z.number(),
    id: z.string(),
    toNode: z.string(),
    method: z.string(),
  }),
  z.object({ status: z.literal("rejected"), index: z.number().optional(), error: z.string() }),
  replyLineSchema,
  z.object({ status: z.literal("done") }),
  z.object({ status: z.literal("timeout"), pending: z.array(z.string()) }),
]);

/** A line an agent writes to a client. */
export type ClientLine = z.infer<typeof clientLineSchema>;
/** A `reply` line. */
export type ReplyLine = z.infer<typeof replyLineSchema>;

/**
 * True when a reply is the last one for its request: a reply of a non-streaming method (no
 * `seq`), or the `final` reply of a streaming one.
 *
 * @example
 * ```ts
 * import { isLastReply } from "./client_protocol.ts";
 * isLastReply({ seq: 3 }); // false
 * isLastReply({ seq: 4, final: true }); // true
 * isLastReply({}); // true
 * ```
 */
export function isLastReply(reply: { seq?: number; final?: boolean }): boolean {
  return reply.seq === undefined || reply.final === true;
}
