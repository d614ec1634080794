/**
 * The replier turns the result of a method run into the reply message that carries it back:
 * to the sender with its reply method, or, for a reply handled here (the final hop), to
 * central as `REQToFileAppend`. A method without a reply reports its failures instead.
 *
 * @module
 */
import { dirname } from "node:path";
import { replyIdFor } from "../message/id.ts";
import type { Message } from "../message/schema.ts";
import type { MethodDefinition } from "../methods/types.ts";
import { PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE } from "../store/file_modes.ts";
import type { KvWrite } from "../store/kv_batcher.ts";
import { errorText } from "./error_text.ts";
import { type ErrorMessageBuilder, failureReport } from "./failure_reports.ts";

/** The outcome of one method run, as its reply carries it. */
export interface ReplyResult {
  ok: boolean;
  data: string;
  error?: string;
}

/** What a {@linkcode Replier} builds replies from and sends them through. */
export interface ReplierDeps {
  /** This node's name: the `fromNode` of its replies. */
  nodeName: string;
  /** Where the final hop of a reply goes. */
  centralNodeName: string;
  /** Where a reply that could not be stored is kept (`undeliverable/`). */
  databaseFolder: string;
  /** A new message id. */
  newId(): string;
  /** Persists and queues messages, in one commit with `alongWith`. */
  submit(
    messages: readonly Message[],
    alongWith: readonly KvWrite[],
    options: { sendEarly?: boolean },
  ): Promise<void>;
  /** Reports an error line (local log and central). */
  reportError(text: string, about?: Message): void;
  /**
   * The `REQErrorLog` message reporting a failed run to central, sent in the commit of its
   * error reply (see failure_reports.ts); absent: failures are only replied.
   */
  errorMessage?: ErrorMessageBuilder;
  /** Writes a local log line. */
  log(line: string): void;
}

/**
 * Builds and sends the replies of method runs.
 *
 * @example
 * ```ts
 * import { Replier } from "./replier.ts";
 * import { methodNamed } from "../methods/registry.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * const sent: string[] = [];
 * const replier = new Replier({
 *   nodeName: "ship1",
 *   centralNodeName: "central",
 *   databaseFolder: "/tmp",
 *   newId: () => "r1",
 *   submit: (messages) => Promise.resolve(void sent.push(messages[0].method)),
 *   reportError() {},
 *   log() {},
 * });
 * await replier.reply(testMessage(), methodNamed("REQPing")!, { ok: true, data: "pong" });
 * console.assert(sent[0] === "REQPong");
 * ```
 */
export class Replier {
  #deps: ReplierDeps;

  /** A replier over `deps`. */
  constructor(deps: ReplierDeps) {
    this.#deps = deps;
  }

  /**
   * The reply to `m` with no data yet: to central as `REQToFileAppend` when `m` is itself a
   * reply (the final hop), otherwise to its sender with its reply method (or `def`'s default).
   *
   * @example
   * ```ts
   * import { Replier } from "./replier.ts";
   * import { testMessage } from "../../test/message_fixture.ts";
   * const replier = new Replier({
   *   nodeName: "ship1",
   *   centralNodeName: "central",
   *   databaseFolder: "/tmp",
   *   newId: () => "r1",
   *   submit: () => Promise.resolve(),
   *   reportError() {},
   *   log() {},
   * });
   * const shell = replier.shell(testMessage({ replyMethod: "REQToFile" }), undefined);
   * console.assert(shell.toNode === "central" && shell.method === "REQToFile");
   * ```
   */
  shell(m: Message, def: MethodDefinition | undefined): Message {
    const finalHop = m.isReply;
    return {
      id: this.#deps.newId(),
      fromNode: this.#deps.nodeName,
      toNode: finalHop ? this.#deps.centralNodeName : m.fromNode,
      method: finalHop ? "REQToFileAppend" : (m.replyMethod || def?.defaultReplyMethod || ""),
      methodArgs: finalHop ? [] : m.replyMethodArgs,
      replyMethodArgs: [],
      ACKTimeout: m.replyACKTimeout,
      retries: m.replyRetries,
      replyACKTimeout: m.replyACKTimeout,
      replyRetries: m.replyRetries,
      methodTimeout: m.replyMethodTimeout,
      replyMethodTimeout: m.replyMethodTimeout,
      directory: m.directory,
      fileName: m.fileName,
      data: "",
      createdAt: Date.now(),
      isReply: true,
      previousMessage: m.isReply && m.previousMessage ? m.previousMessage : {
        id: m.id,
        method: m.method,
        toNode: m.toNode,
        fromNode: m.fromNode,
        methodArgs: m.methodArgs,
        createdAt: m.createdAt,
      },
    };
  }

  /**
   * Sends the reply of `m` (none for a method without one: a failure is reported instead), in
   * one commit with `alongWith`. Returns whether that commit was made.
   *
   * @example
   * ```ts
   * import { Replier } from "./replier.ts";
   * import { methodNamed } from "../methods/registry.ts";
   * import { testMessage } from "../../test/message_fixture.ts";
   * const errors: string[] = [];
   * const replier = new Replier({
   *   nodeName: "central",
   *   centralNodeName: "central",
   *   databaseFolder: "/tmp",
   *   newId: () => "r1",
   *   submit: () => Promise.resolve(),
   *   reportError: (text) => void errors.push(text),
   *   log() {},
   * });
   * const def = methodNamed("REQErrorLog")!; // stores, sends no reply
   * const committed = await replier.reply(testMessage(), def, {
   *   ok: false,
   *   data: "",
   *   error: "disk full",
   * });
   * console.assert(!committed && errors[0] === "REQErrorLog failed: disk full");
   * ```
   */
  async reply(
    m: Message,
    def: MethodDefinition,
    result: ReplyResult,
    stream: { seq?: number; final?: boolean } = {},
    alongWith: readonly KvWrite[] = [],
    sendEarly = false,
  ): Promise<boolean> {
    if (!def.defaultReplyMethod) {
      if (!result.ok) {
        const kept = m.isReply ? await this.#keepUndeliverable(m) : "";
        this.#deps.reportError(`${def.name} failed: ${result.error}${kept}`, m);
      }
      return false;
    }
    const reply: Message = {
      ...this.shell(m, def),
      data: result.data,
      ok: result.ok,
      ...(result.ok ? {} : { error: result.error }),
      ...stream,
      ...(sendEarly ? { id: replyIdFor(m.id) } : {}),
    };
    // Central hears of a failure besides its sender, in the same commit: both or neither.
    const build = this.#deps.errorMessage;
    const report = build ? failureReport(m, result, build) : undefined;
    try {
      await this.#deps.submit(report ? [reply, report] : [reply], alongWith, { sendEarly });
      return true;
    } catch (err) {
      this.#deps.log(`cannot queue reply to ${m.id}: ${errorText(err)}`);
      return false;
    }
  }

  /**
   * Keeps a reply that its handler could not store (a full disk, a folder in the way) in
   * `<databaseFolder>/undeliverable/`, so a result accepted from the network is never lost.
   * Returns a note for the error line.
   */
  async #keepUndeliverable(m: Message): Promise<string> {
    const path = `${this.#deps.databaseFolder}/undeliverable/${m.id}.json`;
    try {
      await Deno.mkdir(dirname(path), { recursive: true, mode: PRIVATE_FOLDER_MODE });
      await Deno.writeTextFile(path, JSON.stringify(m), { mode: PRIVATE_FILE_MODE });
      return `; the reply was kept in ${path}`;
    } catch (err) {
      return `; the reply could not be kept either (${errorText(err)})`;
    }
  }
}
