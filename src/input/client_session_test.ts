import { assertEquals } from "../../test/assert.ts";
import { defaultConfig } from "../config.ts";
import type { Message } from "../message/schema.ts";
import type { IntakePort, ReplyListener } from "./intake_port.ts";
import type { ClientLine } from "./client_protocol.ts";
import { defaultWaitSeconds, serveClientSession } from "./client_session.ts";

/**
 * Just enough of a Node for a session: it stamps and stores messages, and `reply` plays a
 * reply being handled on the node. `onSubmit` runs while a message is being stored.
 */
function fakeNode(onSubmit: (m: Message, reply: (r: Partial<Message>) => void) => void = () => {}) {
  const listeners = new Set<ReplyListener>();
  let n = 0;
  const config = defaultConfig({ nodeName: "central" });
  const reply = (r: Partial<Message>) => {
    for (const l of listeners) l({ data: "", createdAt: 7, isReply: true, ...r } as Message);
  };
  const node = {
    config,
    metrics: { rejected: { inc() {} } },
    reportError() {},
    stamp: (input: { toNode?: string; toNodes?: string[] } & Record<string, unknown>) =>
      (input.toNodes ?? [input.toNode]).map((toNode) => ({
        ...input,
        toNodes: undefined,
        toNode,
        id: `id${++n}`,
        fromNode: "central",
        ACKTimeout: 1,
        retries: 0,
        replyACKTimeout: 1,
        replyRetries: 0,
        methodTimeout: 1,
        replyMethodTimeout: 1,
        createdAt: 0,
        isReply: false,
      })),
    submit: (messages: Message[]) => {
      for (const m of messages) onSubmit(m, reply);
      return Promise.resolve();
    },
    onReply(l: ReplyListener) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { node: node as unknown as IntakePort, reply, listeners };
}

function collector() {
  const lines: ClientLine[] = [];
  return {
    lines,
    write: (ls: readonly ClientLine[]) => {
      lines.push(...ls);
      return Promise.resolve(true);
    },
  };
}

const previous = (id: string) => ({
  id,
  method: "REQPing",
  toNode: "ship1",
  fromNode: "central",
  methodArgs: [],
});

Deno.test("serveClientSession() hands on a reply that arrives while the message is stored", async () => {
  const { node, listeners } = fakeNode((m, reply) =>
    reply({ fromNode: m.toNode, ok: true, data: "pong", previousMessage: previous(m.id) })
  );
  const out = collector();
  await serveClientSession(
    node,
    { stewardClient: 1, await: true, messages: [{ toNode: "ship1", method: "REQPing" }] },
    "socket",
    out.write,
  );
  assertEquals(out.lines, [
    { status: "accepted", index: 0, id: "id1", toNode: "ship1", method: "REQPing" },
    { status: "reply", id: "id1", node: "ship1", ok: true, data: "pong", repliedAt: 7 },
    { status: "done" },
  ]);
  assertEquals(listeners.size, 0);
});

Deno.test("serveClientSession() puts streamed parts in seq order and ignores other ids", async () => {
  const { node, reply } = fakeNode();
  const out = collector();
  const session = serveClientSession(
    node,
    {
      stewardClient: 1,
      await: true,
      messages: [{ toNode: "ship1", method: "REQCliCommandCont", methodArgs: ["seq", "2"] }],
    },
    "socket",
    out.write,
  );
  await new Promise((r) => setTimeout(r, 10));
  const part = (seq: number, data: string, final?: boolean) =>
    reply({ fromNode: "ship1", ok: true, data, seq, final, previousMessage: previous("id1") });
  reply({ fromNode: "ship2", ok: true, data: "not ours", previousMessage: previous("other") });
  part(1, "b\n");
  part(2, "", true);
  part(0, "a\n");
  await session;
  assertEquals(
    out.lines.map((l) => l.status === "reply" ? `${l.seq}:${l.data}` : l.status),
    ["accepted", "0:a\n", "1:b\n", "2:", "done"],
  );
});

Deno.test("serveClientSession() ends with timeout naming the ids still waiting", async () => {
  const { node } = fakeNode();
  const out = collector();
  await serveClientSession(
    node,
    {
      stewardClient: 1,
      await: true,
      timeout: 0.2,
      messages: [{ toNodes: ["a", "b"], method: "REQPing" }],
    },
    "socket",
    out.write,
  );
  assertEquals(out.lines.at(-1), { status: "timeout", pending: ["id1", "id2"] });
});

Deno.test("serveClientSession() rejects a bad envelope and answers without waiting when await is false", async () => {
  const { node } = fakeNode();
  const bad = collector();
  await serveClientSession(node, { stewardClient: 2, messages: [] }, "socket", bad.write);
  assertEquals(bad.lines.length, 2);
  assertEquals(bad.lines[0].status, "rejected");
  assertEquals(bad.lines[1], { status: "done" });
  const sent = collector();
  await serveClientSession(
    node,
    { stewardClient: 1, messages: [{ toNode: "ship1", method: "REQPing" }, { method: "REQPing" }] },
    "socket",
    sent.write,
  );
  assertEquals(sent.lines.map((l) => l.status), ["accepted", "rejected", "done"]);
});

Deno.test("defaultWaitSeconds() covers every send attempt, the method and the reply", () => {
  const m = {
    ACKTimeout: 10,
    retries: 3,
    methodTimeout: 10,
    replyACKTimeout: 10,
    replyRetries: 3,
    replyMethodTimeout: 10,
  } as Message;
  assertEquals(defaultWaitSeconds([m, { ...m, methodTimeout: 60 }]), 155);
});
