/**
 * An immutable request: one message of the seed's format, built step by step.
 *
 * @module
 */
import type { z } from "npm:zod@4.6.7";
import { canonicalInput } from "../message/canonical_input.ts";
import { describeIssues, inputMessageSchema, type operationSchema } from "../message/schema.ts";
import { InvalidMessageError } from "./errors.ts";
import type { ReplyTarget } from "./reply_target.ts";

/**
 * The `operation` of a `REQOpCommand` (`ps`, `startProc` or `stopProc`).
 *
 * @example
 * ```ts
 * import { type Operation, to } from "../../mod.ts";
 * const stop: Operation = { opCmd: "stopProc", opArg: { method: "REQHttpGet", kind: "subscriber" } };
 * to("ship1").opCommand(stop);
 * ```
 */
export interface Operation {
  /** The operation. */
  opCmd: "ps" | "startProc" | "stopProc";
  /** Its arguments: which method, process kind, node, allowed senders or process id. */
  opArg?: {
    method?: string;
    kind?: "publisher" | "subscriber";
    receivingNode?: string;
    allowedNodes?: string[];
    id?: string | number;
  };
}

/**
 * A message in the seed's JSON format, as an operator writes it for an agent's socket. Given
 * at run time (a seed file read as JSON), its field names are matched in any letter case, as
 * the agent matches them: `MethodArgs` is `methodArgs`.
 *
 * @example
 * ```ts
 * import type { SeedMessage } from "../../mod.ts";
 * const ping: SeedMessage = { toNode: "ship1", method: "REQPing" };
 * ```
 */
export interface SeedMessage {
  /** The node to send to (this or `toNodes`). */
  toNode?: string;
  /** Several nodes: the agent sends one message to each. */
  toNodes?: string[];
  /** The request method, e.g. `REQCliCommand`. */
  method: string;
  /** The method's arguments, e.g. a command's argv. */
  methodArgs?: string[];
  /** How the result is handled on the sending node, e.g. `REQToFileAppend`. */
  replyMethod?: string;
  /** Arguments of the reply method (`{{STEWARD_DATA}}` is the result). */
  replyMethodArgs?: string[];
  /** Seconds to wait for the ACK before resending. */
  ACKTimeout?: number;
  /** Resends after an ACK timeout. */
  retries?: number;
  /** Seconds to wait for the ACK of the reply. */
  replyACKTimeout?: number;
  /** Resends of the reply. */
  replyRetries?: number;
  /** Seconds the method may run. */
  methodTimeout?: number;
  /** Seconds the reply method may run. */
  replyMethodTimeout?: number;
  /** Folder of the result file, under the data folder. */
  directory?: string;
  /** Name of the result file. */
  fileName?: string;
  /** Payload for methods that take one. */
  data?: string;
  /** The operation of a `REQOpCommand`. */
  operation?: Operation;
  /**
   * Makes a resend safe: the agent answers a message sent again with the same key with the
   * first one's ids instead of running it again. The client gives every message a new one.
   */
  idempotencyKey?: string;
}

// The agent's zod schema is the source of truth: this fails `deno check` if they drift apart.
type Same<A, B> = [A] extends [B] ? true : false;
type SeedMatchesSchema = Assert<Same<SeedMessage, z.input<typeof inputMessageSchema>>>;
type OperationMatchesSchema = Assert<Same<Operation, z.input<typeof operationSchema>>>;
type Assert<T extends true> = T;

/**
 * Timeouts (seconds) and retries of a request; fields left out keep the agent's defaults.
 *
 * @example
 * ```ts
 * import { type TimeoutOptions, to } from "../../mod.ts";
 * const patient: TimeoutOptions = { ack: 10, retries: 5, method: 120 };
 * to("ship1").cli("apt-get update").timeout(patient);
 * ```
 */
export interface TimeoutOptions {
  /** Seconds to wait for the receiving node's ACK before resending (`ACKTimeout`). */
  readonly ack?: number;
  /** Resends after an ACK timeout (`retries`). */
  readonly retries?: number;
  /** Seconds the method may run on the node (`methodTimeout`). */
  readonly method?: number;
  /** Seconds to wait for the ACK of the reply (`replyACKTimeout`). */
  readonly replyAck?: number;
  /** Resends of the reply (`replyRetries`). */
  readonly replyRetries?: number;
  /** Seconds the reply method may run (`replyMethodTimeout`). */
  readonly replyMethod?: number;
}

const TIMEOUT_FIELDS = {
  ack: "ACKTimeout",
  retries: "retries",
  method: "methodTimeout",
  replyAck: "replyACKTimeout",
  replyRetries: "replyRetries",
  replyMethod: "replyMethodTimeout",
} as const satisfies Record<keyof TimeoutOptions, keyof SeedMessage>;

/**
 * Checks a message with the agent's own schema, after making its spellings canonical as the
 * agent does (a seed file's `MethodArgs` is `methodArgs`).
 *
 * @throws {InvalidMessageError} naming each offending field.
 */
function validated(given: SeedMessage): Readonly<SeedMessage> {
  const canonical = canonicalInput(given);
  const fields = ("value" in canonical ? canonical.value : given) as SeedMessage;
  const to = fields.toNodes?.join(", ") ?? fields.toNode ?? "?";
  if ("error" in canonical) {
    throw new InvalidMessageError(`Invalid ${fields.method} message to ${to}: ${canonical.error}`);
  }
  const r = inputMessageSchema.safeParse(fields);
  if (!r.success) {
    throw new InvalidMessageError(
      `Invalid ${fields.method} message to ${to}: ${describeIssues(r.error.issues)}`,
    );
  }
  return Object.freeze(structuredClone(fields));
}

/**
 * One request to one or more nodes. Every method returns a new request, so a partial one can
 * be reused; each step is checked with the agent's schema and throws
 * {@linkcode InvalidMessageError} at once on a bad value. `Streaming` is true for `cliCont`
 * and `tail`, whose output comes back line by line: only they have {@linkcode Request.for}
 * and can be given to `stream()`.
 *
 * @example
 * ```ts
 * import { to, toFile } from "../../mod.ts";
 * const uptime = to("ship1").cli("uptime");
 * const saved = uptime.reply(toFile("uptime.txt")).timeout({ ack: 5, retries: 3 });
 * console.assert(uptime !== saved);
 * ```
 */
export class Request<Streaming extends boolean = boolean> {
  /** True for methods whose output comes back as a stream of partial replies. */
  readonly streaming: Streaming;
  readonly #fields: Readonly<SeedMessage>;

  /**
   * Makes a request from seed fields; playbooks use {@linkcode to} and {@linkcode toNodes}.
   *
   * @throws {InvalidMessageError} when the fields do not form a valid message.
   */
  constructor(fields: SeedMessage, streaming: Streaming) {
    this.#fields = validated(fields);
    this.streaming = streaming;
    Object.freeze(this);
  }

  /** The nodes this request goes to. */
  get targets(): readonly string[] {
    return this.#fields.toNodes ?? (this.#fields.toNode ? [this.#fields.toNode] : []);
  }

  /** The request method, e.g. `REQCliCommand`. */
  get method(): string {
    return this.#fields.method;
  }

  /**
   * Sets where the result goes: {@linkcode toFile}, {@linkcode toFileAppend},
   * {@linkcode toConsole} or {@linkcode chainCli}.
   *
   * @example
   * ```ts
   * import { to, toFileAppend } from "../../mod.ts";
   * to("ship1").cli(["df", "-h"]).reply(toFileAppend("disk/df.log"));
   * ```
   */
  reply(target: ReplyTarget): Request<Streaming> {
    const { replyMethodTimeout, ...rest } = this.#fields;
    return new Request({
      ...rest,
      replyMethod: target.replyMethod,
      replyMethodArgs: [...target.replyMethodArgs],
      directory: target.directory,
      fileName: target.fileName,
      ...(target.replyMethodTimeout !== undefined
        ? { replyMethodTimeout: target.replyMethodTimeout }
        : replyMethodTimeout !== undefined
        ? { replyMethodTimeout }
        : {}),
    }, this.streaming);
  }

  /**
   * Sets timeouts (seconds) and retries; the fields left out are kept.
   *
   * @throws {InvalidMessageError} on a negative or fractional value.
   * @example
   * ```ts
   * import { toNodes } from "../../mod.ts";
   * toNodes(["ship1", "ship2"]).httpGet("https://example.org").timeout({ ack: 5, retries: 3, method: 10 });
   * ```
   */
  timeout(options: TimeoutOptions): Request<Streaming> {
    const patch: Partial<SeedMessage> = {};
    for (const [key, field] of Object.entries(TIMEOUT_FIELDS)) {
      const value = options[key as keyof TimeoutOptions];
      if (value !== undefined) patch[field] = value;
    }
    return new Request({ ...this.#fields, ...patch }, this.streaming);
  }

  /**
   * Lets a streaming method (`cliCont`, `tail`) run for `seconds` (its `methodTimeout`).
   *
   * @example
   * ```ts
   * import { to } from "../../mod.ts";
   * to("ship2").tail("/var/log/syslog").for(60);
   * ```
   */
  for(this: Request<true>, seconds: number): Request<true> {
    return new Request({ ...this.#fields, methodTimeout: seconds }, true);
  }

  /**
   * The message in the seed's JSON format, as it would be written to an agent's socket.
   *
   * @example
   * ```ts
   * import { to } from "../../mod.ts";
   * to("ship1").ping().toJSON(); // { toNode: "ship1", method: "REQPing" }
   * ```
   */
  toJSON(): SeedMessage {
    return structuredClone(this.#fields) as SeedMessage;
  }
}
