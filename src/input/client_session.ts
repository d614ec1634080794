/**
 * The agent's side of the client protocol (see `client_protocol.ts`): takes in the messages of
 * a client envelope and, when asked, hands the replies to them back as the node handles them.
 * Replies still go through their `replyMethod` as usual; the client only listens in.
 *
 * @module
 */
import { describeIssues, type Message } from "../message/schema.ts";
import type { IntakePort } from "./intake_port.ts";
import { clientEnvelopeSchema, type ClientLine, type ReplyLine } from "./client_protocol.ts";
import { intakeValue, rejectInput } from "./intake.ts";
import { ReplyOrder } from "./reply_order.ts";

/** Writes lines to the client; resolves false once the client is gone. */
export type WriteLines = (lines: readonly ClientLine[]) => Promise<boolean>;

/** Seconds added to a message's own timeouts for queueing and the broker round trips. */
const SLACK_SECONDS = 5;

/**
 * The longest a client waits for the replies to `messages` when it names no timeout: every
 * send attempt of the request, the method, every send attempt of the reply, and its handler.
 *
 * @example
 * ```ts
 * import { defaultWaitSeconds } from "./client_session.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * // (1 + 1) × 1 s for the request, 1 s to run, (1 + 1) × 1 s for the reply, 1 s to store it,
 * // and 5 s of slack.
 * console.assert(defaultWaitSeconds([testMessage()]) === 11);
 * ```
 */
export function defaultWaitSeconds(messages: readonly Message[]): number {
  return Math.max(
    ...messages.map((m) =>
      m.ACKTimeout * (m.retries + 1) + m.methodTimeout +
      m.replyACKTimeout * (m.replyRetries + 1) + m.replyMethodTimeout + SLACK_SECONDS
    ),
  );
}

function toReplyLine(id: string, reply: Message): ReplyLine {
  return {
    status: "reply",
    id,
    node: reply.fromNode,
    ok: reply.ok !== false,
    data: reply.data,
    ...(reply.error === undefined ? {} : { error: reply.error }),
    ...(reply.seq === undefined ? {} : { seq: reply.seq }),
    ...(reply.final === undefined ? {} : { final: reply.final }),
    repliedAt: reply.createdAt,
  };
}

/**
 * Serves one client envelope: answers each message (accepted or rejected), then, when the
 * envelope asks to `await`, writes every reply to the accepted ids as it is handled, in `seq`
 * order, and ends with `done` (every target's last reply is in, failures included) or
 * `timeout` (with the ids still waiting). Stops early when the client is gone or `signal`
 * aborts.
 *
 * @example
 * ```ts ignore
 * import { serveClientSession } from "./client_session.ts";
 * await serveClientSession(node, { stewardClient: 1, await: true, messages }, "socket", write);
 * ```
 */
export async function serveClientSession(
  node: IntakePort,
  raw: unknown,
  input: string,
  write: WriteLines,
  signal?: AbortSignal,
): Promise<void> {
  const parsed = clientEnvelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const error = `client envelope: ${describeIssues(parsed.error.issues)}`;
    await write([rejectInput(node, input, error) as ClientLine, { status: "done" }]);
    return;
  }
  const envelope = parsed.data;
  // Listen before the messages are queued: a fast reply must not slip past the session.
  const inbox: Message[] = [];
  let waiting: Map<string, ReplyOrder> | undefined;
  let wake = () => {};
  const stopListening = envelope.await
    ? node.onReply((reply) => {
      const id = reply.previousMessage?.id;
      if (id === undefined || (waiting !== undefined && !waiting.has(id))) return;
      inbox.push(reply);
      wake();
    })
    : () => {};
  try {
    const { answers, messages } = await intakeValue(node, envelope.messages, input);
    if (!await write(answers as ClientLine[])) return;
    if (!envelope.await || messages.length === 0) {
      await write([{ status: "done" }]);
      return;
    }
    const orders = new Map(messages.map((m) => [m.id, new ReplyOrder()]));
    waiting = orders;
    const deadline = Date.now() + (envelope.timeout ?? defaultWaitSeconds(messages)) * 1000;
    while (orders.size > 0 && !signal?.aborted) {
      const lines: ReplyLine[] = [];
      for (const reply of inbox.splice(0)) {
        const id = reply.previousMessage?.id ?? "";
        const order = orders.get(id);
        if (!order) continue;
        lines.push(...order.add(toReplyLine(id, reply)));
        if (order.complete) orders.delete(id);
      }
      if (lines.length > 0 && !await write(lines)) return;
      const left = deadline - Date.now();
      if (orders.size === 0 || left <= 0) break;
      if (inbox.length > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          wake = () => {};
          resolve();
        }
        wake = done;
        signal?.addEventListener("abort", done, { once: true });
      });
    }
    if (signal?.aborted) return;
    if (orders.size === 0) {
      await write([{ status: "done" }]);
      return;
    }
    const held = [...orders.values()].flatMap((o) => o.flush());
    await write([...held, { status: "timeout", pending: [...orders.keys()] }]);
  } finally {
    stopListening();
  }
}

/**
 * Serves a client envelope received over HTTP: the lines are streamed back as NDJSON while
 * the session runs; a client that goes away ends the session.
 *
 * @example
 * ```ts ignore
 * import { clientSessionResponse } from "./client_session.ts";
 * return clientSessionResponse(node, envelope, "http");
 * ```
 */
export function clientSessionResponse(node: IntakePort, raw: unknown, input: string): Response {
  const encoder = new TextEncoder();
  const gone = new AbortController();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      gone.abort();
    },
  });
  const write: WriteLines = (lines) => {
    if (gone.signal.aborted || !controller) return Promise.resolve(false);
    try {
      controller.enqueue(encoder.encode(lines.map((l) => JSON.stringify(l) + "\n").join("")));
      return Promise.resolve(true);
    } catch {
      return Promise.resolve(false);
    }
  };
  serveClientSession(node, raw, input, write, gone.signal).finally(() => {
    try {
      controller?.close();
    } catch {
      // Already closed by the client.
    }
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson" } });
}
