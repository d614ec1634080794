import { assertEquals } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import type { Message } from "../message/schema.ts";
import { methodNamed } from "../methods/registry.ts";
import type { MethodDefinition, MethodResult, NodeServices } from "../methods/types.ts";
import type { KvWrite } from "../store/kv_batcher.ts";
import { ExecutorStoppedError } from "./executor.ts";
import { MethodRunner } from "./method_runner.ts";
import type { ReplyResult } from "./replier.ts";
import { Supervisor } from "./supervisor.ts";

interface Reply {
  id: string;
  result: ReplyResult;
  stream?: { seq?: number; final?: boolean };
  alongWith?: readonly KvWrite[];
  sendEarly?: boolean;
}

/** A runner whose replies, journal and commits are recorded. */
function fakeRunner(options: {
  replies?: boolean;
  recovering?: string[];
  executorRun?: (task: () => Promise<void>) => Promise<void>;
} = {}) {
  const events: string[] = [];
  const replies: Reply[] = [];
  const runner = new MethodRunner({
    node: {} as NodeServices,
    supervisor: new Supervisor(),
    // Like the real pool, a task never starts in the same turn as its run() call.
    executor: {
      run: async <T>(_m: Message, task: () => Promise<T>) => {
        await Promise.resolve();
        return await (options.executorRun
          ? options.executorRun(task as () => Promise<void>)
          : task()) as T;
      },
    },
    stopping: () => false,
    reply: (m, _def, result, stream, alongWith, sendEarly) => {
      replies.push({ id: m.id, result, stream, alongWith, sendEarly });
      return Promise.resolve(options.replies ?? true);
    },
    journal: {
      flush: () => void events.push("flush"),
      settled: (id) => void events.push(`settled ${id}`),
    },
    dedup: {
      doneMark: (m) => ({ op: "delete", key: ["done", m.id] }),
      progressMark: (m) => ({ op: "delete", key: ["progress", m.id] }),
    },
    batcher: {
      defer: (w) => Promise.resolve(void events.push(`defer ${String(w[0].key[1])}`)),
      write: (w) => Promise.resolve(void events.push(`write ${String(w[0].key[1])}`)),
    },
    recovering: new Set(options.recovering ?? []),
    replyListeners: new Set(),
    metrics: { executed: { inc() {} }, endToEndLatency: { observe() {} } },
    peer: (m) => m.fromNode,
    log: (line) => void events.push(line),
  });
  return { runner, events, replies };
}

function method(
  name: string,
  handler: (emit: (data: string) => Promise<void>) => Promise<MethodResult>,
): MethodDefinition {
  return { ...methodNamed(name)!, handler: ({ emit }) => handler(emit) };
}

Deno.test("MethodRunner.execute() replies with the result, its done mark in the same commit", async () => {
  const { runner, events, replies } = fakeRunner();
  const def = method("REQCliCommand", () => Promise.resolve({ data: "out" }));
  await runner.execute(testMessage({ id: "a", method: "REQCliCommand" }), def);
  assertEquals(replies, [{
    id: "a",
    result: { ok: true, data: "out" },
    stream: {},
    alongWith: [{ op: "delete", key: ["done", "a"] }],
    sendEarly: false,
  }]);
  assertEquals(events, ["settled a"]);
});

Deno.test("MethodRunner.execute() replies with the error, and the output the error carried", async () => {
  const { runner, replies } = fakeRunner();
  const def = method("REQCliCommand", () => {
    throw new Error("exit status 1", { cause: { stdout: "partial" } });
  });
  await runner.execute(testMessage({ id: "a" }), def);
  assertEquals(replies[0].result, { ok: false, data: "partial", error: "exit status 1" });
});

Deno.test("MethodRunner.execute() numbers what a method emits, and marks the last reply final", async () => {
  const { runner, replies } = fakeRunner();
  const def = method("REQCliCommand", async (emit) => {
    await emit("1");
    await emit("2");
    return { data: "3" };
  });
  await runner.execute(testMessage({ id: "a" }), def);
  assertEquals(replies.map((r) => [r.result.data, r.stream]), [
    ["1", { seq: 0 }],
    ["2", { seq: 1 }],
    ["3", { seq: 2, final: true }],
  ]);
});

Deno.test("MethodRunner.execute() of an instant method sends its reply early", async () => {
  const { runner, replies } = fakeRunner();
  await runner.execute(
    testMessage({ id: "a" }),
    method("REQPing", () => Promise.resolve({ data: "" })),
  );
  assertEquals(replies[0].sendEarly, true);
});

Deno.test("MethodRunner.execute() of a store flushes the journal first and defers its done mark", async () => {
  const { runner, events } = fakeRunner({ replies: false });
  const def = method("REQToFileAppend", () => {
    events.push("handler");
    return Promise.resolve({ data: "" });
  });
  await runner.execute(testMessage({ id: "s", method: "REQToFileAppend" }), def);
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(events, ["flush", "handler", "defer s", "settled s"]);
});

Deno.test("MethodRunner.execute() of a store being recovered writes its done mark before it ends", async () => {
  const { runner, events } = fakeRunner({ replies: false, recovering: ["s"] });
  const def = method("REQToFileAppend", () => Promise.resolve({ data: "" }));
  await runner.execute(testMessage({ id: "s", method: "REQToFileAppend" }), def);
  assertEquals(events, ["flush", "write s", "settled s"]);
});

Deno.test("MethodRunner.execute() answers a pooled method the pool would not start", async () => {
  const { runner, replies } = fakeRunner({
    executorRun: () => Promise.reject(new Error("queue full")),
  });
  let ran = false;
  const def = method("REQCliCommand", () => {
    ran = true;
    return Promise.resolve({ data: "" });
  });
  await runner.execute(testMessage({ id: "a" }), def);
  assertEquals(ran, false);
  assertEquals(replies[0].result, { ok: false, data: "", error: "not started: queue full" });
});

Deno.test("MethodRunner.execute() leaves a pooled method stopped with the node unanswered", async () => {
  const { runner, replies } = fakeRunner({
    executorRun: () => Promise.reject(new ExecutorStoppedError("node stopping")),
  });
  await runner.execute(
    testMessage({ id: "a" }),
    method("REQCliCommand", () => Promise.resolve({ data: "" })),
  );
  assertEquals(replies, []);
});
