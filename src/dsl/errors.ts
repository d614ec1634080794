/**
 * A message a playbook built is not valid: thrown by the builders before anything is sent.
 *
 * @example
 * ```ts
 * import { InvalidMessageError } from "./errors.ts";
 * import { to } from "./target.ts";
 * try {
 *   to("ship.1");
 * } catch (err) {
 *   console.assert(err instanceof InvalidMessageError);
 * }
 * ```
 */
export class InvalidMessageError extends Error {
  /** `"InvalidMessageError"`. */
  override name = "InvalidMessageError";
}

/**
 * The agent refused one or more messages; `reasons` holds its answer for each, and
 * `accepted` the ids of those it took in anyway.
 *
 * @example
 * ```ts
 * import { RejectedError } from "./errors.ts";
 * const err = new RejectedError(["method: unknown method \"REQX\""], []);
 * console.assert(err.message.includes("REQX"));
 * ```
 */
export class RejectedError extends Error {
  /** `"RejectedError"`. */
  override name = "RejectedError";
  /** The agent's reason for each refused message. */
  readonly reasons: readonly string[];
  /** Ids of the messages the agent accepted. */
  readonly accepted: readonly string[];

  /** Builds the error from the agent's reasons and the ids it accepted. */
  constructor(reasons: readonly string[], accepted: readonly string[]) {
    super(`The agent refused ${reasons.length} message(s): ${reasons.join("; ")}`);
    this.reasons = reasons;
    this.accepted = accepted;
  }
}

/**
 * A streamed request ended with an error on one or more nodes; thrown by `stream()` after
 * every line that did arrive was yielded.
 *
 * @example
 * ```ts
 * import { StreamError } from "./errors.ts";
 * const err = new StreamError([{ node: "ship1", error: "no such file" }]);
 * console.assert(err.message === "Stream failed on ship1: no such file");
 * ```
 */
export class StreamError extends Error {
  /** `"StreamError"`. */
  override name = "StreamError";
  /** Which node failed, and why. */
  readonly failures: readonly { node: string; error: string }[];

  /** Builds the error from each failed node and its error. */
  constructor(failures: readonly { node: string; error: string }[]) {
    super(`Stream failed on ${failures.map((f) => `${f.node}: ${f.error}`).join("; ")}`);
    this.failures = failures;
  }
}

/**
 * A streaming fan-out with rate controls stopped starting nodes (`maxErrors` reached, or a
 * canary failed): the nodes that failed, and those that never started.
 *
 * @example
 * ```ts
 * import { RolloutStoppedError } from "./errors.ts";
 * const err = new RolloutStoppedError("a canary node failed", [{ node: "a", error: "exit 1" }], ["b"]);
 * console.assert(err instanceof Error && err.notStarted[0] === "b");
 * ```
 */
export class RolloutStoppedError extends StreamError {
  /** `"RolloutStoppedError"`. */
  override name = "RolloutStoppedError";
  /** Why the fan-out stopped starting nodes. */
  readonly reason: string;
  /** The nodes never started, in target order. */
  readonly notStarted: readonly string[];

  /** Builds the error from the reason, the failed nodes and the nodes never started. */
  constructor(
    reason: string,
    failures: readonly { node: string; error: string }[],
    notStarted: readonly string[],
  ) {
    super(failures);
    this.reason = reason;
    this.notStarted = notStarted;
    this.message = `Stopped early (${reason}): ${failures.length} failed ` +
      `(${failures.slice(0, 5).map((f) => f.node).join(", ")}${
        failures.length > 5 ? ", …" : ""
      }), ${notStarted.length} never started`;
  }
}
