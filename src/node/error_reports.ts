/**
 * Error reports: a line in the local log, a count by kind, and a `REQErrorLog` message to
 * the central node's error log.
 *
 * @module
 */
import type { InputMessage, Message } from "../message/schema.ts";
import type { Metrics } from "../metrics.ts";
import { errorText } from "./error_text.ts";

/** What an {@linkcode ErrorReporter} writes, counts and sends through. */
export interface ErrorReporterDeps {
  /** This node's name, in every line. */
  nodeName: string;
  /** Where error lines are sent. */
  centralNodeName: string;
  /** ACKTimeout of the error messages (-errorMessageTimeout). */
  errorMessageTimeout: number;
  /** Retries of the error messages (-errorMessageRetries). */
  errorMessageRetries: number;
  /** Where errors are counted by kind. */
  metrics: Pick<Metrics, "errors">;
  /** Whether the node is stopping: its errors then stay local. */
  stopping(): boolean;
  /** Turns an input message into stamped messages. */
  stamp(input: InputMessage): Message[];
  /** Persists and queues messages. */
  submit(messages: readonly Message[]): Promise<void>;
  /** Writes a local log line. */
  log(line: string): void;
}

/**
 * Reports a node's errors.
 *
 * @example
 * ```ts
 * import { ErrorReporter } from "./error_reports.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * const sent: string[] = [];
 * const reporter = new ErrorReporter({
 *   nodeName: "ship1",
 *   centralNodeName: "central",
 *   errorMessageTimeout: 5,
 *   errorMessageRetries: 1,
 *   metrics: { errors: { inc() {} } },
 *   stopping: () => false,
 *   stamp: (input) => [testMessage({ method: input.method, data: input.data })],
 *   submit: (messages) => Promise.resolve(void sent.push(messages[0].method)),
 *   log() {},
 * });
 * reporter.report("disk full");
 * console.assert(sent[0] === "REQErrorLog");
 * ```
 */
export class ErrorReporter {
  #deps: ErrorReporterDeps;

  /** A reporter over `deps`. */
  constructor(deps: ErrorReporterDeps) {
    this.#deps = deps;
  }

  /**
   * Sends an error line to the central node's error log (and to the local log). Errors about
   * error messages themselves stay local, so a missing central cannot cause a loop.
   */
  report(text: string, about?: Message): void {
    const message = this.message(text, about);
    if (!message) return;
    this.#deps.submit([message]).catch((err) =>
      this.#deps.log(`cannot queue error: ${errorText(err)}`)
    );
  }

  /**
   * Writes the error line to the local log and counts it, and returns the `REQErrorLog`
   * message that carries it to central, for the caller to send (with `id` when given, so that
   * a second report of the same event is a duplicate to central); undefined when it stays
   * local (the node is stopping, or it is about an error message).
   *
   * @example
   * ```ts
   * import { ErrorReporter } from "./error_reports.ts";
   * import { testMessage } from "../../test/message_fixture.ts";
   * const reporter = new ErrorReporter({
   *   nodeName: "ship1",
   *   centralNodeName: "central",
   *   errorMessageTimeout: 5,
   *   errorMessageRetries: 1,
   *   metrics: { errors: { inc() {} } },
   *   stopping: () => false,
   *   stamp: (input) => [testMessage({ method: input.method, data: input.data })],
   *   submit: () => Promise.resolve(),
   *   log() {},
   * });
   * const m = reporter.message("REQCliCommand failed: exit 1", testMessage(), "e1");
   * console.assert(m?.method === "REQErrorLog" && m.id === "e1");
   * ```
   */
  message(text: string, about?: Message, id?: string): Message | undefined {
    const deps = this.#deps;
    const where = about
      ? `toNode: ${about.toNode}, fromNode: ${about.fromNode}, method: ${about.method}, ` +
        `id: ${about.id}${about.previousMessage ? ` (reply to ${about.previousMessage.id})` : ""}: `
      : "";
    const line = `${new Date().toISOString()}, error: node: ${deps.nodeName}, ${where}${text}`;
    deps.log(line);
    deps.metrics.errors.inc({ kind: errorKind(text) });
    if (deps.stopping() || about?.method === "REQErrorLog") return undefined;
    const [message] = deps.stamp({
      toNode: deps.centralNodeName,
      method: "REQErrorLog",
      methodArgs: [],
      replyMethodArgs: [],
      directory: "",
      fileName: "",
      data: line,
      ACKTimeout: deps.errorMessageTimeout,
      retries: deps.errorMessageRetries,
    });
    return id === undefined ? message : { ...message, id };
  }
}

/**
 * The `kind` label of an error line, from how its text starts.
 *
 * @example
 * ```ts
 * import { errorKind } from "./error_reports.ts";
 * console.assert(errorKind("refused: bad signature") === "refused");
 * ```
 */
export function errorKind(text: string): string {
  if (text.startsWith("max retries")) return "max_retries";
  if (/^REQ\w+ failed: /.test(text)) return "method";
  if (text.startsWith("refused")) return "refused";
  if (text.startsWith("input rejected")) return "input";
  return "other";
}
