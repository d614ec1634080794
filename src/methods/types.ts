/**
 * The interface every request method implements, and what a method may use of its node.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { CommandSpawn } from "./command_environment.ts";
import type { Message } from "../message/schema.ts";
import type { Supervisor } from "../node/supervisor.ts";
import type { HelloStore } from "../store/hello_store.ts";
import type { MethodArgsSpec, MethodSpec } from "./spec.ts";
import type { SubscriberFlag } from "./table.ts";
import type { Security } from "../security/security.ts";
import type { Copies } from "../copy/copies.ts";

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
  /** The node's file copies (`REQCopySrc`, `REQCopyDst`). */
  readonly copies: Copies;
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

/** The handler of a method: its module exports one, `registry.ts` joins it to its table row. */
export interface MethodImpl<N extends string = string> {
  readonly name: N;
  /** Runs the method; throws to send an error reply. */
  handler(ctx: MethodContext): Promise<MethodResult>;
}

/** A request method: its row of the method table (`table.ts`) and its handler. */
export interface MethodDefinition extends MethodSpec, MethodImpl {
  /** The `--startSubREQ…` flag that starts its subscriber. */
  readonly flag: SubscriberFlag;
}

export type { MethodArgsSpec };

/** An error whose message is meant for the operator as it is (no stack trace needed). */
export class MethodError extends Error {
  override name = "MethodError";
}
