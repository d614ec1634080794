/**
 * The interface every request method implements, and what a method may use of its node.
 *
 * @module
 */
import type { Config, FlagName } from "../config.ts";
import type { CommandSpawn } from "./command_environment.ts";
import type { Event, Message } from "../message/schema.ts";
import type { Supervisor } from "../node/supervisor.ts";
import type { HelloStore } from "../store/hello_store.ts";
import type { Security } from "../security/security.ts";

/** What a method handler may use of the node it runs on. */
export interface NodeServices {
  readonly config: Readonly<Config>;
  /** The agent's CONFIG_FOLDER (signing key, `config.json`, `acl.json`). */
  readonly configFolder: string;
  readonly supervisor: Supervisor;
  /** How commands are spawned: their minimal environment and `-runAsUser`. */
  readonly commandSpawn: CommandSpawn;
  readonly hello: HelloStore;
  /** Keys, trusted set and ACL of the node (see SECURITY.md). */
  readonly security: Security;
  /** Writes (or appends) `content` to the reply file a message names, inside the data folder. */
  writeReplyFile(message: Message, content: string, mode: "write" | "append"): Promise<string>;
  /** Prints a line on the node's standard output. */
  print(line: string): void;
  /** Sends an error line to the central node's error log. */
  reportError(text: string, about?: Message): void;
  /** Starts the subscriber for `method`; returns its process id. */
  startSubscriber(method: string, allowedNodes?: string[]): number;
}

/** What a handler gets for one message. */
export interface MethodContext {
  readonly node: NodeServices;
  readonly message: Message;
  /** Aborted when `methodTimeout` expires or the subscriber stops. */
  readonly signal: AbortSignal;
  /**
   * Sends one partial result back now (streaming methods). `resumeAt`, where `data` ends in
   * the method's output, is committed with it: a run resumed after a restart starts there.
   */
  emit(data: string, progress?: { resumeAt: number }): Promise<void>;
  /**
   * True when this run resumes one that an earlier process of the node started before it
   * died: a spooled command collects its result from its spool instead of starting again.
   * Otherwise whatever its spool folder holds is discarded first (a planted result is never
   * taken for one).
   */
  readonly resumed?: boolean;
  /** For a resumed streaming run: where its output was sent up to (a `resumeAt` emitted). */
  readonly resumeFrom?: number;
}

/** What a handler returns: the data of its reply. */
export interface MethodResult {
  data: string;
}

/** The `methodArgs` a method needs, declared in the method table (see `method_args.ts`). */
export interface MethodArgsSpec {
  /** What each leading argument is, in order; a message without all of them is refused. */
  readonly required: readonly string[];
  /**
   * Positions of arguments that name a file on the receiving node: a relative one is resolved
   * against the agent's working folder, then `..` and symbolic links, before the ACL judges it.
   */
  readonly paths?: readonly number[];
}

/** A request method: one module implements it, and the method table lists it. */
export interface MethodDefinition {
  readonly name: string;
  /** Subject suffix: whether the sender waits for an ACK, and command or event. */
  readonly event: Event;
  /** Reply method used when a message names none; absent for methods that send no reply. */
  readonly defaultReplyMethod?: string;
  /** True when the method can be a message's `replyMethod`. */
  readonly replyTarget?: boolean;
  /**
   * True for methods that only store or show a result on this node (reply files, error log):
   * they run before the ACK, so a crash can never lose an ACKed result. A crash after the
   * store but before its record may store it twice; for the files these methods write that
   * is the lesser harm, while commands keep strict at-most-once (recorded, ACKed, then run).
   */
  readonly runBeforeAck?: boolean;
  /**
   * True for methods whose handler is quick and changes nothing (a ping, a listing): they run
   * before the ACK, and their reply and "done" record are committed together before it. A
   * crash before that commit loses nothing that was ACKed (the sender resends, and the method
   * runs then); after it, the resend is a duplicate. One commit on the receiver's path instead
   * of two (record, then reply). The reply is sent while that commit is in flight, with an id
   * made from the request's (`replyIdFor`): if the method runs again after a crash, its second
   * reply is a duplicate to the receiver, not a second result.
   */
  readonly instant?: boolean;
  /**
   * True for methods that do work on the node (spawn a command, fetch a URL, follow a file):
   * they run in the executor's bounded pool (`-maxConcurrentMethods`) and wait in its FIFO
   * queue when it is full. The others are quick and run at once: stores and instant methods,
   * and the process and key controls, so that an operator can list and stop processes while
   * the pool is full.
   */
  readonly pooled?: boolean;
  /**
   * True for methods whose command writes its output and exit status to the node's spool
   * (`command_spool.ts`): one that was started when its node died is collected from there
   * after the restart, not answered "interrupted"; its spool is removed once its last reply
   * is ACKed (or given up).
   */
  readonly spooled?: boolean;
  /**
   * True for methods where only the newest message to a node matters (the trusted set): a new
   * one drops those to the same node still waiting to be sent, as superseded.
   */
  readonly latestOnly?: boolean;
  /** The arguments it needs; none are checked when absent. */
  readonly methodArgs?: MethodArgsSpec;
  /** The `--startSubREQ…` flag that starts its subscriber. */
  readonly flag: FlagName;
  /** One line for `--help` and documentation. */
  readonly description: string;
  /** Runs the method; throws to send an error reply. */
  handler(ctx: MethodContext): Promise<MethodResult>;
}

/** An error whose message is meant for the operator as it is (no stack trace needed). */
export class MethodError extends Error {
  override name = "MethodError";
}
