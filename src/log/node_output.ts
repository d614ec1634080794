/**
 * Where a node's lines go: its printed output (REQToConsole), its log lines, the log lines of
 * each message, and its broker connection's state, all from its options.
 *
 * @module
 */
import { visibleControls } from "../methods/visible_controls.ts";
import type { BrokerState } from "../transport/nats.ts";
import type { Logger } from "./logger.ts";
import { type MessageEvents, messageEvents, NO_MESSAGE_EVENTS } from "./message_events.ts";

/** What a node writes through. */
export interface NodeOutput {
  /** A line of the node's output (stdout). */
  print(line: string): void;
  /** A line of the node's log (stderr). */
  log(line: string): void;
  /** The log's lines per message (silent without a logger). */
  events: MessageEvents;
  /** The log's lines about the broker connection. */
  broker(state: BrokerState): void;
}

/** The output options of a node (see `NodeOptions`). */
export interface NodeOutputOptions {
  /** Where REQToConsole lines go (default: standard output). */
  print?: (line: string) => void;
  /** Where log lines go (default: the logger's, else standard error). */
  log?: (line: string) => void;
  /** The agent's log (`-logLevel`, `-logFormat`); without it, message events are not logged. */
  logger?: Logger;
}

/**
 * The output of a node with `options`. Lines quote ids, methods and errors that other nodes
 * chose: shown, never obeyed by the terminal (escape sequences are escaped visibly).
 *
 * @example
 * ```ts
 * import { nodeOutput } from "./node_output.ts";
 * const lines: string[] = [];
 * nodeOutput({ log: (l) => lines.push(l) }).log("a\x1b[2J");
 * lines[0]; // "a\\x1b[2J"
 * ```
 */
export function nodeOutput(options: NodeOutputOptions): NodeOutput {
  const { logger } = options;
  const print = options.print ?? ((line: string) => console.log(line));
  const log = options.log ?? (logger ? (l: string) => logger.line(l) : (l) => console.error(l));
  const visible = (line: string) => visibleControls(line, { keepNewlines: true });
  return {
    print: (line) => print(visible(line)),
    log: (line) => log(visible(line)),
    events: logger ? messageEvents(logger) : NO_MESSAGE_EVENTS,
    broker(s) {
      const text = s.state === "unreachable"
        ? `cannot reach ${s.servers}: ${s.error}; retrying every ${s.retryMs / 1000} s`
        : s.state === "connected"
        ? `connected to ${s.server}`
        : `${s.state} ${s.state === "disconnected" ? "from" : "to"} ${s.server}`;
      if (!logger) return log(text);
      const level = s.state === "unreachable" || s.state === "disconnected" ? "warn" : "info";
      logger.log(level, "broker", visible(text), { state: s.state });
    },
  };
}
