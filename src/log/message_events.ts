/**
 * One log line per thing that happens to a message: accepted from an input, published, ACKed,
 * executed (with its duration), reply written. A failure is the error report's own line
 * (`error` level), written where the failure is reported. Hellos and error reports travel at
 * `debug`.
 *
 * @module
 */
import type { Message } from "../message/schema.ts";
import type { Logger } from "./logger.ts";

/** What the stages tell the log about each message. */
export interface MessageEvents {
  /** Stored in KV and queued, from input `input` (`socket`, `tcp`, `http`…). */
  accepted(m: Message, input: string): void;
  /** Published to the broker (`attempt` 0 the first time). */
  published(m: Message, attempt: number): void;
  /** The receiving node ACKed it, `ms` after it was first published (undefined: not timed). */
  acked(m: Message, ms?: number): void;
  /** Its method ran here for `ms`; `error` when it failed. */
  executed(m: Message, ms: number, error?: string): void;
  /** A reply (or a store) was written to `path`. */
  replyWritten(m: Message, path: string): void;
}

/** Events that go nowhere: a node without a logger (tests, benchmarks). */
export const NO_MESSAGE_EVENTS: MessageEvents = {
  accepted() {},
  published() {},
  acked() {},
  executed() {},
  replyWritten() {},
};

// Every node says hello every -startPubREQHello seconds, and an error report already has its
// own line: at info, their travels would drown the rest.
const QUIET = new Set(["REQHello", "REQErrorLog"]);

function levelOf(m: Message): "debug" | "info" {
  const method = m.isReply && m.previousMessage ? m.previousMessage.method : m.method;
  return QUIET.has(m.method) || QUIET.has(method) ? "debug" : "info";
}

function about(m: Message) {
  return { id: m.id, method: m.method, toNode: m.toNode, fromNode: m.fromNode };
}

function what(m: Message): string {
  const reply = m.isReply && m.previousMessage ? ` (reply to ${m.previousMessage.id})` : "";
  return `${m.method} ${m.id}${reply}`;
}

/**
 * The message events of a node, written to `logger` at `info` (hellos and error reports at `debug`).
 *
 * @example
 * ```ts
 * import { Logger } from "./logger.ts";
 * import { messageEvents } from "./message_events.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * const lines: string[] = [];
 * const events = messageEvents(new Logger({ node: "central", write: (l) => lines.push(l) }));
 * events.accepted(testMessage({ method: "REQPing", toNode: "ship1" }), "socket");
 * lines[0].includes("accepted REQPing"); // true
 * ```
 */
export function messageEvents(logger: Logger): MessageEvents {
  return {
    accepted(m, input) {
      logger.log(
        levelOf(m),
        "accepted",
        `accepted ${what(m)} for ${m.toNode} from the ${input} input`,
        {
          ...about(m),
          input,
        },
      );
    },
    published(m, attempt) {
      const again = attempt > 0 ? ` (resend ${attempt})` : "";
      logger.log(levelOf(m), "published", `published ${what(m)} to ${m.toNode}${again}`, {
        ...about(m),
        attempt,
      });
    },
    acked(m, ms) {
      const after = ms === undefined ? "" : ` after ${Math.round(ms)} ms`;
      logger.log(levelOf(m), "acked", `${m.toNode} ACKed ${what(m)}${after}`, { ...about(m), ms });
    },
    executed(m, ms, error) {
      const outcome = error === undefined ? "" : `, failed: ${error}`;
      logger.log(
        levelOf(m),
        "executed",
        `executed ${what(m)} from ${m.fromNode} in ${Math.round(ms)} ms${outcome}`,
        { ...about(m), ms: Math.round(ms), ok: error === undefined, error },
      );
    },
    replyWritten(m, path) {
      logger.log(levelOf(m), "reply", `wrote ${what(m)} from ${m.fromNode} to ${path}`, {
        ...about(m),
        path,
      });
    },
  };
}
