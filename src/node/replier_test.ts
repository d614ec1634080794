import { assertEquals, assertMatch } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import { failureReportIdFor, replyIdFor } from "../message/id.ts";
import type { Message } from "../message/schema.ts";
import { methodNamed } from "../methods/registry.ts";
import type { MethodDefinition } from "../methods/types.ts";
import type { KvWrite } from "../store/kv_batcher.ts";
import { Replier } from "./replier.ts";

/** A replier on ship1 whose submits, errors and log lines are recorded. */
function fakeReplier(
  options: { databaseFolder?: string; submitFails?: boolean; reportsFailures?: boolean } = {},
) {
  const submitted: { messages: Message[]; alongWith: KvWrite[]; sendEarly?: boolean }[] = [];
  const errors: { text: string; about?: Message }[] = [];
  const logged: string[] = [];
  let n = 0;
  const replier = new Replier({
    nodeName: "ship1",
    centralNodeName: "central",
    databaseFolder: options.databaseFolder ?? "/nonexistent",
    newId: () => `r${++n}`,
    submit: (messages, alongWith, opts) => {
      if (options.submitFails) return Promise.reject(new Error("ring buffer closed"));
      submitted.push({ messages: [...messages], alongWith: [...alongWith], ...opts });
      return Promise.resolve();
    },
    reportError: (text, about) => void errors.push({ text, about }),
    log: (line) => void logged.push(line),
    ...(options.reportsFailures
      ? {
        errorMessage: (text: string, about: Message, id: string) =>
          testMessage({
            id,
            toNode: "central",
            method: "REQErrorLog",
            data: `${about.id}: ${text}`,
          }),
      }
      : {}),
  });
  return { replier, submitted, errors, logged };
}

const cli = methodNamed("REQCliCommand")!;
const toFileAppend = methodNamed("REQToFileAppend")!; // stores, and sends no reply

Deno.test("Replier.shell() sends a request's reply to its sender with its replyMethod", () => {
  const { replier } = fakeReplier();
  const request = testMessage({
    id: "q1",
    fromNode: "central",
    toNode: "ship1",
    method: "REQCliCommand",
    methodArgs: ["bash", "-c", "ls"],
    replyMethod: "REQToFile",
    replyMethodArgs: ["x"],
    replyACKTimeout: 7,
    replyRetries: 3,
    replyMethodTimeout: 9,
    directory: "cli",
    fileName: "out",
    createdAt: 1000,
  });
  const shell = replier.shell(request, cli);
  assertEquals({ ...shell, createdAt: 0 }, {
    id: "r1",
    fromNode: "ship1",
    toNode: "central",
    method: "REQToFile",
    methodArgs: ["x"],
    replyMethodArgs: [],
    ACKTimeout: 7,
    retries: 3,
    replyACKTimeout: 7,
    replyRetries: 3,
    methodTimeout: 9,
    replyMethodTimeout: 9,
    directory: "cli",
    fileName: "out",
    data: "",
    createdAt: 0,
    isReply: true,
    previousMessage: {
      id: "q1",
      method: "REQCliCommand",
      toNode: "ship1",
      fromNode: "central",
      methodArgs: ["bash", "-c", "ls"],
      createdAt: 1000,
    },
  });
});

Deno.test("Replier.shell() falls back to the method's defaultReplyMethod, else none", () => {
  const { replier } = fakeReplier();
  assertEquals(
    replier.shell(testMessage({ method: "REQCliCommand" }), cli).method,
    "REQToFileAppend",
  );
  assertEquals(replier.shell(testMessage(), methodNamed("REQPing")).method, "REQPong");
  assertEquals(replier.shell(testMessage(), undefined).method, "");
});

Deno.test("Replier.shell() sends the final hop to central as REQToFileAppend", () => {
  const { replier } = fakeReplier();
  const original = {
    id: "q1",
    method: "REQCliCommand",
    toNode: "ship2",
    fromNode: "ship1",
    methodArgs: [],
    createdAt: 5,
  };
  const reply = testMessage({
    id: "p1",
    fromNode: "ship2",
    toNode: "ship1",
    method: "REQToConsole",
    methodArgs: ["ignored"],
    replyMethod: "REQToFile",
    isReply: true,
    previousMessage: original,
  });
  const shell = replier.shell(reply, methodNamed("REQToConsole"));
  assertEquals(shell.toNode, "central");
  assertEquals(shell.method, "REQToFileAppend");
  assertEquals(shell.methodArgs, []);
  // The request the chain started from, not the reply being answered.
  assertEquals(shell.previousMessage, original);
});

Deno.test("Replier.reply() submits the result with the commit's writes", async () => {
  const { replier, submitted } = fakeReplier();
  const done: KvWrite = { op: "delete", key: ["done", "q1"] };
  const m = testMessage({ id: "q1", method: "REQCliCommand" });
  const committed = await replier.reply(m, cli, { ok: true, data: "out\n" }, {
    seq: 2,
    final: true,
  }, [done]);
  assertEquals(committed, true);
  assertEquals(submitted.length, 1);
  const [reply] = submitted[0].messages;
  assertEquals(submitted[0].alongWith, [done]);
  assertEquals(submitted[0].sendEarly, false);
  assertEquals(
    [reply.id, reply.method, reply.data, reply.ok, reply.error, reply.seq, reply.final],
    ["r1", "REQToFileAppend", "out\n", true, undefined, 2, true],
  );
});

Deno.test("Replier.reply() of a failure carries its error; sent early, its id is the request's", async () => {
  const { replier, submitted } = fakeReplier();
  const m = testMessage({ id: "q1" });
  await replier.reply(
    m,
    methodNamed("REQPing")!,
    { ok: false, data: "", error: "boom" },
    {},
    [],
    true,
  );
  const [reply] = submitted[0].messages;
  assertEquals([reply.id, reply.ok, reply.error], [replyIdFor("q1"), false, "boom"]);
  assertEquals(submitted[0].sendEarly, true);
});

Deno.test("Replier.reply() says when the reply cannot be queued", async () => {
  const { replier, logged } = fakeReplier({ submitFails: true });
  const committed = await replier.reply(testMessage({ id: "q1" }), cli, { ok: true, data: "" });
  assertEquals(committed, false);
  assertEquals(logged, ["cannot queue reply to q1: ring buffer closed"]);
});

Deno.test("Replier.reply() of a method without a reply sends nothing when it succeeded", async () => {
  const { replier, submitted, errors } = fakeReplier();
  const m = testMessage({ method: "REQToFileAppend", isReply: true });
  assertEquals(await replier.reply(m, toFileAppend, { ok: true, data: "" }), false);
  assertEquals([submitted.length, errors.length], [0, 0]);
});

Deno.test("Replier.reply() of a method without a reply reports its failure instead", async () => {
  const { replier, submitted, errors } = fakeReplier();
  const m = testMessage({ id: "e1", method: "REQErrorLog" });
  const def = methodNamed("REQErrorLog") as MethodDefinition;
  assertEquals(await replier.reply(m, def, { ok: false, data: "", error: "disk full" }), false);
  assertEquals(submitted.length, 0);
  assertEquals(errors, [{ text: "REQErrorLog failed: disk full", about: m }]);
});

Deno.test("Replier.reply() keeps a reply its handler could not store in undeliverable/", async () => {
  const folder = await Deno.makeTempDir();
  try {
    const { replier, errors } = fakeReplier({ databaseFolder: folder });
    const m = testMessage({ id: "p1", method: "REQToFileAppend", isReply: true, data: "result" });
    await replier.reply(m, toFileAppend, { ok: false, data: "", error: "no space" });
    const path = `${folder}/undeliverable/p1.json`;
    assertEquals(errors[0].text, `REQToFileAppend failed: no space; the reply was kept in ${path}`);
    assertEquals(JSON.parse(await Deno.readTextFile(path)), m);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("Replier.reply() says so when an undeliverable reply cannot be kept either", async () => {
  const folder = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${folder}/undeliverable`, "a file in the way");
    const { replier, errors } = fakeReplier({ databaseFolder: folder });
    const m = testMessage({ id: "p1", method: "REQToFileAppend", isReply: true });
    await replier.reply(m, toFileAppend, { ok: false, data: "", error: "no space" });
    assertMatch(
      errors[0].text,
      /^REQToFileAppend failed: no space; the reply could not be kept either \(/,
    );
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("Replier.reply() of a failure also reports it to central, in the reply's commit", async () => {
  const { replier, submitted } = fakeReplier({ reportsFailures: true });
  const done: KvWrite = { op: "delete", key: ["done", "q1"] };
  const m = testMessage({ id: "q1", method: "REQCliCommand" });
  const error = "bash exited with code 3";
  await replier.reply(m, cli, { ok: false, data: "", error }, {}, [done]);
  assertEquals(submitted.length, 1, "one commit");
  const [reply, report] = submitted[0].messages;
  assertEquals([reply.method, reply.ok, reply.error], ["REQToFileAppend", false, error]);
  assertEquals(
    [report.toNode, report.method, report.id, report.data],
    ["central", "REQErrorLog", failureReportIdFor("q1"), `q1: REQCliCommand failed: ${error}`],
  );
  assertEquals(submitted[0].alongWith, [done]);
});

Deno.test("Replier.reply() reports nothing for a success or a streamed part", async () => {
  const { replier, submitted } = fakeReplier({ reportsFailures: true });
  const m = testMessage({ id: "q1", method: "REQCliCommandCont" });
  await replier.reply(m, cli, { ok: true, data: "line\n" }, { seq: 0 });
  await replier.reply(m, cli, { ok: true, data: "" }, { seq: 1, final: true });
  assertEquals(submitted.map((s) => s.messages.length), [1, 1]);
});
