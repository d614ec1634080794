import { assertEquals } from "../../test/assert.ts";
import { defaultConfig } from "../config.ts";
import type { InputMessage, Message } from "../message/schema.ts";
import { IdempotencyKeys, type KeyRecord } from "../store/idempotency_keys.ts";
import type { KvWrite } from "../store/kv_batcher.ts";
import { intakeValue } from "./intake.ts";
import type { IntakePort } from "./intake_port.ts";

/** KV as IdempotencyKeys reads it, holding what the fake commits wrote. */
function fakeKv(stored: Map<string, KeyRecord>) {
  return {
    getMany: <T extends readonly unknown[]>(keys: readonly Deno.KvKey[]) =>
      Promise.resolve(
        keys.map((k) => ({ key: k, value: stored.get(k[1] as string) ?? null })),
      ) as unknown as Promise<{ [K in keyof T]: Deno.KvEntryMaybe<T[K]> }>,
  };
}

/** A node over fakes: `submits` lists each commit (its message ids and key writes). */
function fakeNode(options: { failSubmit?: boolean; kv?: Map<string, KeyRecord> } = {}) {
  const kv = options.kv ?? new Map<string, KeyRecord>();
  const submits: { ids: string[]; keys: string[] }[] = [];
  let n = 0;
  const node = {
    config: defaultConfig({ nodeName: "central" }),
    metrics: { rejected: { inc() {} } },
    reportError() {},
    stamp: (input: InputMessage) =>
      [input.toNode!].map((toNode) => ({ ...input, toNode, id: `id${++n}` }) as Message),
    submit: async (messages: readonly Message[], writes: readonly KvWrite[] = []) => {
      await new Promise((r) => setTimeout(r, 1));
      if (options.failSubmit) throw new Error("disk full");
      const keys = writes.flatMap((w) => w.op === "set" ? [w.key[1] as string] : []);
      for (const w of writes) if (w.op === "set") kv.set(w.key[1] as string, w.value as KeyRecord);
      submits.push({ ids: messages.map((m) => m.id), keys });
    },
    idempotency: new IdempotencyKeys(fakeKv(kv), 60_000),
  } as unknown as IntakePort;
  return { node, submits, kv };
}

const ping = (extra: Record<string, unknown> = {}) => ({
  toNode: "ship1",
  method: "REQPing",
  ...extra,
});

Deno.test("intakeValue() stores a long array in slices of 32, in order, answering each in order", async () => {
  const { node, submits } = fakeNode();
  const { answers } = await intakeValue(node, Array.from({ length: 70 }, () => ping()), "socket");
  assertEquals(submits.map((s) => s.ids.length), [32, 32, 6]);
  assertEquals(submits.flatMap((s) => s.ids), answers.map((a) => a.status === "accepted" && a.id));
  assertEquals(answers.map((a) => a.index), Array.from({ length: 70 }, (_, i) => i));
});

Deno.test("intakeValue() answers a key seen before with the first ids, storing nothing again", async () => {
  const { node, submits } = fakeNode();
  const first = await intakeValue(node, [ping({ idempotencyKey: "k1" }), ping()], "socket");
  // The same key again in one input, and in the next input: the first id each time.
  const again = await intakeValue(
    node,
    [
      ping({ idempotencyKey: "k1" }),
      ping({ idempotencyKey: "k2" }),
      ping({ idempotencyKey: "k2" }),
    ],
    "socket",
  );
  assertEquals(first.answers.map((a) => a.status === "accepted" && a.id), ["id1", "id2"]);
  assertEquals(again.answers, [
    {
      status: "accepted",
      index: 0,
      id: "id1",
      toNode: "ship1",
      method: "REQPing",
      duplicate: true,
    },
    { status: "accepted", index: 1, id: "id3", toNode: "ship1", method: "REQPing" },
    {
      status: "accepted",
      index: 2,
      id: "id3",
      toNode: "ship1",
      method: "REQPing",
      duplicate: true,
    },
  ]);
  // The key is remembered in the commit of its message.
  assertEquals(submits, [{ ids: ["id1", "id2"], keys: ["k1"] }, { ids: ["id3"], keys: ["k2"] }]);
});

Deno.test("intakeValue() stores a key once when two inputs bring it at the same time", async () => {
  const { node, submits } = fakeNode();
  const [a, b] = await Promise.all([
    intakeValue(node, [ping({ idempotencyKey: "same" })], "socket"),
    intakeValue(node, [ping({ idempotencyKey: "same" })], "tcp"),
  ]);
  assertEquals(submits.length, 1);
  const ids = [a, b].map((r) => r.answers[0].status === "accepted" && r.answers[0].id);
  assertEquals(ids, ["id1", "id1"]);
});

Deno.test("intakeValue() frees the keys of a slice that could not be stored, and of refused messages", async () => {
  const kv = new Map<string, KeyRecord>();
  const failing = fakeNode({ failSubmit: true, kv });
  const refused = await intakeValue(
    failing.node,
    [ping({ idempotencyKey: "k" }), { method: "REQPing", idempotencyKey: "bad" }],
    "socket",
  );
  assertEquals(refused.answers.map((a) => a.status), ["rejected", "rejected"]);
  // A resend with the same keys, once the disk has room, is taken on.
  const working = fakeNode({ kv });
  (working.node as unknown as { idempotency: unknown }).idempotency = failing.node.idempotency;
  const resent = await intakeValue(
    working.node,
    [ping({ idempotencyKey: "k" }), ping({ idempotencyKey: "bad" })],
    "socket",
  );
  assertEquals(resent.answers.map((a) => a.status === "accepted" && !a.duplicate), [true, true]);
});

Deno.test("intakeValue() takes known fields in any letter case, as the original's decoder does", async () => {
  const { node, submits } = fakeNode();
  const { answers } = await intakeValue(node, [
    { toNode: "central", method: "REQOpProcessList", MethodTimeout: 10 },
    { TONODE: "ship1", Method: "REQCliCommand", MethodArgs: ["tree"], ReplyMethodTimeout: 3 },
  ], "socket");
  assertEquals(answers.map((a) => a.status), ["accepted", "accepted"]);
  assertEquals(submits.length, 1);
});

Deno.test("intakeValue() still refuses an unknown field by name, and two spellings of one", async () => {
  const { node } = fakeNode();
  const { answers } = await intakeValue(node, [
    ping({ MethodTimeOutt: 10 }),
    ping({ methodTimeout: 1, MethodTimeout: 2 }),
  ], "socket");
  assertEquals(answers, [
    { status: "rejected", index: 0, error: 'unknown field: "MethodTimeOutt"' },
    {
      status: "rejected",
      index: 1,
      error: 'ambiguous fields: "methodTimeout" and "MethodTimeout" both name methodTimeout',
    },
  ]);
});

Deno.test("intakeValue() reads an idempotency key spelled in another case", async () => {
  const { node, submits } = fakeNode();
  const first = await intakeValue(node, [ping({ IdempotencyKey: "k9" })], "socket");
  const again = await intakeValue(node, [ping({ idempotencykey: "k9" })], "socket");
  assertEquals(submits.length, 1);
  const [a] = first.answers, [b] = again.answers;
  assertEquals(b.status === "accepted" && b.duplicate, true);
  assertEquals(a.status === "accepted" && b.status === "accepted" && a.id === b.id, true);
});

Deno.test("intakeValue() answers an empty array that it held no message", async () => {
  const { node, submits } = fakeNode();
  const { answers } = await intakeValue(node, [], "socket");
  assertEquals(answers, [{
    status: "rejected",
    error: "the input held no message (an empty array)",
  }]);
  assertEquals(submits.length, 0);
});

Deno.test("intakeValue() refuses REQCliCommand without methodArgs, naming the field", async () => {
  const { node, submits } = fakeNode();
  const { answers } = await intakeValue(node, [
    { toNode: "ship1", method: "REQCliCommand" },
    { toNode: "ship1", method: "REQPing", replyMethod: "REQCliCommand" },
  ], "socket");
  assertEquals(answers, [
    {
      status: "rejected",
      index: 0,
      error: "methodArgs: REQCliCommand needs methodArgs[0] (the command to run); got none",
    },
    {
      status: "rejected",
      index: 1,
      error:
        "replyMethodArgs: REQCliCommand needs replyMethodArgs[0] (the command to run); got none",
    },
  ]);
  assertEquals(submits.length, 0);
});
