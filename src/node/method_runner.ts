/**
 * The method runner runs a received message's handler as a supervised process (through the
 * bounded pool for `pooled` methods), sends its reply, and makes its "done" mark durable.
 *
 * @module
 */
import type { ReplyListener } from "../input/intake_port.ts";
import type { MessageEvents } from "../log/message_events.ts";
import type { Message } from "../message/schema.ts";
import { type MethodDefinition, MethodError, type NodeServices } from "../methods/types.ts";
import type { Metrics } from "../metrics.ts";
import type { DedupStore, StreamProgress } from "../store/dedup_store.ts";
import type { KvBatcher, KvWrite } from "../store/kv_batcher.ts";
import type { StoreJournal } from "../store/store_journal.ts";
import { errorText } from "./error_text.ts";
import { type Executor, ExecutorStoppedError } from "./executor.ts";
import { methodDeadline } from "./method_deadline.ts";
import type { ReplyResult } from "./replier.ts";
import type { Supervisor } from "./supervisor.ts";

/** What a {@linkcode MethodRunner} runs methods with and records their end through. */
export interface MethodRunnerDeps {
  /** The node as handlers see it. */
  node: NodeServices;
  /** Told of each method run, with its duration (the log's "executed" line). */
  events?: Pick<MessageEvents, "executed">;
  /** Runs each method as a named, stoppable process. */
  supervisor: Pick<Supervisor, "start" | "markRunning">;
  /** The bounded pool of methods that do work (`pooled` in the method table). */
  executor: Pick<Executor<Message>, "run">;
  /** Whether the node is stopping. */
  stopping(): boolean;
  /** Sends the reply of a run, in one commit with `alongWith`; resolves whether it was made. */
  reply(
    m: Message,
    def: MethodDefinition,
    result: ReplyResult,
    stream?: { seq?: number; final?: boolean },
    alongWith?: readonly KvWrite[],
    sendEarly?: boolean,
  ): Promise<boolean>;
  /** The journal of stores, flushed before a store's effect and settled after its mark. */
  journal: Pick<StoreJournal, "flush" | "settled">;
  /** Makes the "done" mark of a message, and a streaming one's progress mark. */
  dedup: Pick<DedupStore, "doneMark" | "progressMark">;
  /** Commits "done" marks. */
  batcher: Pick<KvBatcher, "defer" | "write">;
  /** Ids of stores being finished after a restart interrupted them. */
  recovering: ReadonlySet<string>;
  /** Told of every reply handled here. */
  replyListeners: ReadonlySet<ReplyListener>;
  /** Where runs and reply latencies are counted. */
  metrics: Pick<Metrics, "executed" | "endToEndLatency">;
  /** The `peer` label of a message received. */
  peer(m: Message): string;
  /** Writes a local log line. */
  log(line: string): void;
}

/** How a run resumes one that an earlier process of the node started. */
export interface ResumeOptions {
  /** It was started before the restart (see `MethodContext.resumed`). */
  resumed?: boolean;
  /** How far its streamed output was sent. */
  streamed?: StreamProgress;
  /** When it started (ms since the epoch): its methodTimeout counts from then. */
  startedAt?: number;
}

/**
 * Runs received messages and replies to them.
 *
 * @example
 * ```ts
 * import { MethodRunner } from "./method_runner.ts";
 * import { Supervisor } from "./supervisor.ts";
 * import { methodNamed } from "../methods/registry.ts";
 * import type { NodeServices } from "../methods/types.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * const replied: string[] = [];
 * const runner = new MethodRunner({
 *   node: {} as NodeServices,
 *   supervisor: new Supervisor(),
 *   executor: { run: (_m, task) => task() },
 *   stopping: () => false,
 *   reply: (_m, _def, result) => Promise.resolve(replied.push(result.data) > 0),
 *   journal: { flush() {}, settled() {} },
 *   dedup: {
 *     doneMark: (m) => ({ op: "delete", key: ["done", m.id] }),
 *     progressMark: (m) => ({ op: "delete", key: ["progress", m.id] }),
 *   },
 *   batcher: { defer: () => Promise.resolve(), write: () => Promise.resolve() },
 *   recovering: new Set(),
 *   replyListeners: new Set(),
 *   metrics: { executed: { inc() {} }, endToEndLatency: { observe() {} } },
 *   peer: (m) => m.fromNode,
 *   log() {},
 * });
 * const def = { ...methodNamed("REQPing")!, handler: () => Promise.resolve({ data: "pong" }) };
 * await runner.execute(testMessage(), def); // resolves once its run has ended
 * console.assert(replied[0] === "pong");
 * ```
 */
export class MethodRunner {
  #deps: MethodRunnerDeps;

  /** A runner over `deps`. */
  constructor(deps: MethodRunnerDeps) {
    this.#deps = deps;
  }

  /**
   * Runs `m` as a supervised process and replies; resolves when that process ends. With
   * `resumed`, it resumes the run an earlier process started (see `MethodContext.resumed`),
   * a streaming one from `streamed`.
   */
  execute(m: Message, def: MethodDefinition, options: ResumeOptions = {}): Promise<void> {
    const { supervisor } = this.#deps;
    const ended = Promise.withResolvers<void>();
    const name = `${def.name} ${m.id}`;
    if (!def.pooled) {
      supervisor.start("method", name, async (stop) => {
        try {
          await this.#run(m, def, stop, undefined, options);
        } finally {
          ended.resolve();
        }
      }, { method: def.name });
      return ended.promise;
    }
    // Listed as queued until a slot is free; its methodTimeout counts from the start of its run.
    const { id } = supervisor.start("method", name, async (stop) => {
      let started = false;
      try {
        await this.#deps.executor.run(m, () => {
          started = true;
          supervisor.markRunning(id);
          return this.#run(m, def, stop, undefined, options);
        }, { signal: stop });
      } catch (err) {
        // Stopped with the node: its "running" record is answered at the next start.
        if (started || this.#deps.stopping() || err instanceof ExecutorStoppedError) throw err;
        await this.#run(m, def, stop, `not started: ${errorText(err)}`);
      } finally {
        ended.resolve();
      }
    }, { method: def.name, state: "queued" });
    return ended.promise;
  }

  /** Runs `m` and replies; with `notRun`, replies with that error instead of running it. */
  async #run(
    m: Message,
    def: MethodDefinition,
    stop: AbortSignal,
    notRun?: string,
    resume: ResumeOptions = {},
  ): Promise<void> {
    const deps = this.#deps;
    const startedAt = resume.startedAt ?? Date.now();
    const deadline = methodDeadline(
      stop,
      Math.max(0, startedAt + m.methodTimeout * 1000 - Date.now()),
    );
    const signal = deadline.signal;
    let seq = resume.streamed?.seq ?? 0;
    const emit = async (data: string, progress?: { resumeAt: number }) => {
      // Where the output was sent up to goes in the same commit as the reply that sent it.
      const along = progress
        ? [deps.dedup.progressMark(m, { offset: progress.resumeAt, seq: seq + 1 }, startedAt)]
        : [];
      await deps.reply(m, def, { ok: true, data }, { seq: seq++ }, along);
    };
    let result: ReplyResult;
    const began = performance.now();
    try {
      // A store's journal line reaches the kernel before its effect (see StoreJournal).
      if (def.delivery === "store") this.#flushJournal();
      if (notRun !== undefined) throw new MethodError(notRun);
      const out = await def.handler({
        node: deps.node,
        message: m,
        signal,
        emit,
        resumed: resume.resumed ?? false,
        ...(resume.streamed ? { resumeFrom: resume.streamed.offset } : {}),
      });
      result = { ok: true, data: out.data };
    } catch (err) {
      const cause = (err as Error)?.cause as { stdout?: string } | undefined;
      result = { ok: false, data: cause?.stdout ?? "", error: errorText(err) };
    } finally {
      deadline.clear();
    }
    deps.events?.executed(m, performance.now() - began, result.ok ? undefined : result.error);
    deps.metrics.executed.inc({
      method: m.method,
      peer: deps.peer(m),
      outcome: result.ok ? "ok" : "error",
    });
    if (m.isReply && m.previousMessage?.createdAt) {
      deps.metrics.endToEndLatency.observe(
        { method: m.previousMessage.method },
        (Date.now() - m.previousMessage.createdAt) / 1000,
      );
    }
    if (m.isReply) { for (const l of deps.replyListeners) l(m); }
    // The "done" mark goes in the reply's commit: one commit fewer per message, and a crash
    // leaves both or neither. A store has no reply; recovery never appends its data twice, so
    // its mark may wait for the next commit.
    const done = deps.dedup.doneMark(m);
    const stream = seq > 0 ? { seq, final: true } : {};
    // An instant method's reply is sent while its commit is in flight; a crash before the
    // commit makes the method run again on the resend, and its reply (same id) a duplicate.
    const early = def.delivery === "instant";
    // A store's journal line is settled once its "done" mark is durable, in every branch.
    if (await deps.reply(m, def, result, stream, [done], early)) {
      deps.journal.settled(m.id);
      return;
    }
    // A reply that could not be queued because the node is stopping: no "done" mark without
    // it. The record the method was taken on (and started) with stays, and the restarted node
    // answers from it: a command's result from its spool, or "interrupted" when the stop ended
    // it. Marked done here, it would never be answered at all.
    if (def.defaultReplyMethod && deps.stopping()) return;
    if (def.delivery === "store" && !deps.recovering.has(m.id)) {
      deps.batcher.defer([done]).then(
        () => deps.journal.settled(m.id),
        (err) => deps.log(`cannot mark ${m.id} done: ${errorText(err)}`),
      );
    } else {
      await deps.batcher.write([done]);
      deps.journal.settled(m.id);
    }
  }

  #flushJournal(): void {
    try {
      this.#deps.journal.flush();
    } catch (err) {
      throw new MethodError(`cannot write the store journal: ${errorText(err)}`);
    }
  }
}
