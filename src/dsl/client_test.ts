import { join } from "node:path";
import { assertEquals, assertMatch, assertRejects } from "../../test/assert.ts";
import { connect } from "./client.ts";
import { InvalidMessageError, RejectedError, RolloutStoppedError, StreamError } from "./errors.ts";
import type { ProgressWriter } from "./fan_out_progress.ts";
import { to, toNodes } from "./target.ts";

/**
 * A scripted agent on a unix socket: reads one envelope, records it, answers `lines` and
 * closes the connection.
 */
async function fakeAgent(lines: (envelope: { messages: unknown[] }) => unknown[]) {
  const dir = await Deno.makeTempDir({ prefix: "steward-fake-agent-" });
  const path = join(dir, "steward.sock");
  const listener = Deno.listen({ transport: "unix", path });
  const envelopes: Record<string, unknown>[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      let text = "";
      const buf = new Uint8Array(65536);
      while (!text.endsWith("\n")) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      const envelope = JSON.parse(text);
      envelopes.push(envelope);
      const out = lines(envelope).map((l) => JSON.stringify(l) + "\n").join("");
      await conn.write(new TextEncoder().encode(out)).catch(() => 0);
      conn.close();
    }
  })();
  return {
    path,
    envelopes,
    async close() {
      listener.close();
      await serving.catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const accepted = (id: string, toNode: string) => ({
  status: "accepted",
  index: 0,
  id,
  toNode,
  method: "REQCliCommand",
});
const reply = (id: string, node: string, extra: Record<string, unknown>) => ({
  status: "reply",
  id,
  node,
  ok: true,
  data: "",
  repliedAt: 1,
  ...extra,
});

Deno.test("connect() says when the agent's socket is missing", async () => {
  await assertRejects(
    () => connect({ socket: "/nonexistent/steward.sock" }),
    /Cannot use the Steward socket \/nonexistent\/steward.sock: .*is the agent running/,
  );
});

Deno.test("run() sends an awaiting envelope and gives one result per node", async () => {
  const agent = await fakeAgent(() => [
    accepted("a", "ship1"),
    accepted("b", "ship2"),
    reply("b", "ship2", { ok: false, error: "exited with code 1", data: "partial\n" }),
    reply("a", "ship1", { data: "hello\n" }),
    { status: "done" },
  ]);
  try {
    const steward = await connect({ socket: agent.path });
    const results = await steward.run(to("ship1").cli("echo hello"), { timeoutMs: 2500 });
    // Every message carries an idempotency key of its own (see the send() resend test).
    const [sent] = agent.envelopes[0].messages as { idempotencyKey: string }[];
    const { idempotencyKey, ...message } = sent;
    assertMatch(idempotencyKey, /^[0-9a-f-]{36}$/);
    assertEquals({ ...agent.envelopes[0], messages: [message] }, {
      stewardClient: 1,
      await: true,
      timeout: 3,
      messages: [{
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["bash", "-c", "echo hello"],
      }],
    });
    assertEquals(
      results.map((r) => [r.node, r.id, r.ok, r.output, r.error]),
      [["ship1", "a", true, "hello\n", undefined], [
        "ship2",
        "b",
        false,
        "partial\n",
        "exited with code 1",
      ]],
    );
  } finally {
    await agent.close();
  }
});

Deno.test("run() turns the agent's timeout into ok:false results", async () => {
  const agent = await fakeAgent(() => [
    accepted("a", "ship1"),
    { status: "timeout", pending: ["a"] },
  ]);
  try {
    const steward = await connect({ socket: agent.path });
    const [r] = await steward.run(to("ship1").ping());
    assertEquals(r.ok, false);
    assertMatch(r.error ?? "", /no result from ship1 within the time allowed/);
  } finally {
    await agent.close();
  }
});

Deno.test("send() throws RejectedError with the agent's reasons", async () => {
  const agent = await fakeAgent(() => [
    accepted("a", "ship1"),
    { status: "rejected", index: 1, error: 'method: unknown method "REQX"' },
    { status: "done" },
  ]);
  try {
    const steward = await connect({ socket: agent.path });
    const err = await assertRejects(
      () => steward.send(to("ship1").ping(), { toNode: "ship1", method: "REQX" }),
      /refused 1 message\(s\): \[1\] method: unknown method "REQX"/,
    );
    assertEquals(err instanceof RejectedError ? err.accepted : [], ["a"]);
    assertEquals(agent.envelopes[0].await, false);
  } finally {
    await agent.close();
  }
});

Deno.test("stream() yields each line of each part, then throws for a failed node", async () => {
  const agent = await fakeAgent(() => [
    accepted("a", "ship1"),
    reply("a", "ship1", { seq: 0, data: "one\ntwo\n" }),
    reply("a", "ship1", { seq: 1, data: "three\n" }),
    reply("a", "ship1", { seq: 2, final: true, ok: false, error: "cannot tail: gone" }),
    { status: "done" },
  ]);
  try {
    const steward = await connect({ socket: agent.path });
    const lines: string[] = [];
    const err = await assertRejects(async () => {
      for await (const { line } of steward.stream(to("ship1").tail("/x").for(5))) {
        lines.push(line);
      }
    }, /Stream failed on ship1: cannot tail: gone/);
    assertEquals(err instanceof StreamError, true);
    assertEquals(lines, ["one", "two", "three"]);
  } finally {
    await agent.close();
  }
});

Deno.test("close() stops the client: later calls throw", async () => {
  const agent = await fakeAgent(() => [{ status: "done" }]);
  try {
    const steward = await connect({ socket: agent.path });
    steward.close();
    await assertRejects(() => steward.send(to("ship1").ping()), /client is closed/);
  } finally {
    await agent.close();
  }
});

Deno.test("send() tries once more, with the same idempotency keys, when the connection is lost before the last answer", async () => {
  let calls = 0;
  const agent = await fakeAgent((envelope) => {
    calls++;
    // First connection: stored, but closed before "done" (the agent died answering).
    if (calls === 1) return [accepted("a", "ship1")];
    // The resend is answered with the first id, as the agent does for a key it holds.
    assertEquals(envelope.messages.length, 1);
    return [{ ...accepted("a", "ship1"), duplicate: true }, { status: "done" }];
  });
  try {
    const steward = await connect({ socket: agent.path });
    const ids = await steward.send(to("ship1").cli("echo hello"));
    assertEquals(ids, ["a"]);
    assertEquals(agent.envelopes.length, 2);
    const keys = agent.envelopes.map((e) =>
      (e.messages as { idempotencyKey: string }[])[0].idempotencyKey
    );
    assertMatch(keys[0], /^[0-9a-f-]{36}$/);
    assertEquals(keys[1], keys[0]);
  } finally {
    await agent.close();
  }
});

/** A writer that records what a fan-out's progress writes, as a pipe (not a terminal). */
function recorder(): ProgressWriter & { text: () => string } {
  let text = "";
  return {
    isTerminal: () => false,
    writeSync: (bytes) => {
      text += new TextDecoder().decode(bytes);
      return bytes.length;
    },
    text: () => text,
  };
}

/** A fake agent answering each single-node message: ok, or failed for the nodes in `fails`. */
function perNodeAgent(fails: readonly string[], streaming = false) {
  return fakeAgent((envelope) => {
    const [m] = envelope.messages as { toNode: string }[];
    const ok = !fails.includes(m.toNode);
    const id = `id-${m.toNode}`;
    return [
      accepted(id, m.toNode),
      reply(id, m.toNode, {
        ok,
        data: `from ${m.toNode}\n`,
        ...(ok ? {} : { error: "exited with code 1" }),
        ...(streaming ? { seq: 0, final: true } : {}),
      }),
      { status: "done" },
    ];
  });
}

Deno.test("run() with rate controls sends one message per node and names those never started", async () => {
  const agent = await perNodeAgent(["s2", "s3"]);
  try {
    const steward = await connect({ socket: agent.path });
    const progress = recorder();
    const nodes = ["s1", "s2", "s3", "s4", "s5", "s6"];
    const results = await steward.run(toNodes(nodes).cli("true"), {
      canary: 1,
      maxConcurrency: 1,
      maxErrors: 2,
      progress,
    });
    const sent = agent.envelopes.map((e) =>
      e.messages as { toNode?: string; toNodes?: string[]; idempotencyKey: string }[]
    );
    assertEquals(sent.map((m) => m.length), [1, 1, 1]);
    assertEquals(sent.map(([m]) => [m.toNode, m.toNodes]), [
      ["s1", undefined],
      ["s2", undefined],
      ["s3", undefined],
    ]);
    // One key per node, derived from the fan-out's: a resent fan-out is not run twice.
    assertMatch(sent[0][0].idempotencyKey, /^[0-9a-f-]{36}\/s1$/);
    assertEquals(
      results.map((r) => [r.node, r.ok, r.notStarted ?? false]),
      [
        ["s1", true, false],
        ["s2", false, false],
        ["s3", false, false],
        ["s4", false, true],
        ["s5", false, true],
        ["s6", false, true],
      ],
    );
    assertEquals(
      results[3].error,
      "never started: the run stopped early (2 failed, the most allowed (maxErrors 2))",
    );
    assertEquals(
      progress.text().replace(/, \d+\.\d s/, ", T s"),
      "fan-out: 1 done / 2 failed / 0 running of 6, T s\n" +
        "stopped early: 2 failed, the most allowed (maxErrors 2)\n" +
        "failed: s2 (exited with code 1), s3 (exited with code 1)\n" +
        "never started (3): s4, s5, s6\n",
    );
  } finally {
    await agent.close();
  }
});

Deno.test("run() of a fan-out without rate controls sends one message and prints its summary", async () => {
  const agent = await fakeAgent(() => [
    accepted("a", "ship1"),
    accepted("b", "ship2"),
    reply("a", "ship1", {}),
    reply("b", "ship2", { ok: false, error: "no pong" }),
    { status: "done" },
  ]);
  try {
    const steward = await connect({ socket: agent.path });
    const progress = recorder();
    await steward.run(toNodes(["ship1", "ship2"]).ping(), { progress });
    assertEquals(agent.envelopes.length, 1);
    assertEquals(
      progress.text().replace(/, \d+\.\d s/, ", T s"),
      "fan-out: 1 done / 1 failed / 0 running of 2, T s\nfailed: ship2 (no pong)\n",
    );
  } finally {
    await agent.close();
  }
});

Deno.test("run() refuses a bad rate control before sending anything", async () => {
  const agent = await perNodeAgent([]);
  try {
    const steward = await connect({ socket: agent.path });
    const err = await assertRejects(
      () => steward.run(toNodes(["s1", "s2"]).ping(), { maxConcurrency: "0%" }),
      /^maxConcurrency must be a count or a percentage/,
    );
    assertEquals(err instanceof InvalidMessageError, true);
    assertEquals(agent.envelopes.length, 0);
  } finally {
    await agent.close();
  }
});

Deno.test("stream() with rate controls yields every started node's lines, then says who never started", async () => {
  const agent = await perNodeAgent(["s1"], true);
  try {
    const steward = await connect({ socket: agent.path });
    const lines: string[] = [];
    const err = await assertRejects(async () => {
      const request = toNodes(["s1", "s2", "s3"]).cliCont("echo x").for(5);
      for await (const { line } of steward.stream(request, { canary: 1, progress: recorder() })) {
        lines.push(line);
      }
    }, /^Stopped early \(canary node s1 failed\): 1 failed \(s1\), 2 never started$/);
    assertEquals(err instanceof RolloutStoppedError ? err.notStarted : [], ["s2", "s3"]);
    assertEquals(lines, ["from s1"]);
  } finally {
    await agent.close();
  }
});

Deno.test("stream() of a fan-out prints its summary when the caller stops reading", async () => {
  const agent = await fakeAgent(() => [
    accepted("a", "ship1"),
    accepted("b", "ship2"),
    reply("a", "ship1", { seq: 0, data: "one\n" }),
    { status: "done" },
  ]);
  try {
    const steward = await connect({ socket: agent.path });
    const progress = recorder();
    for await (
      const _ of steward.stream(toNodes(["ship1", "ship2"]).tail("/x").for(5), { progress })
    ) {
      break;
    }
    assertEquals(
      progress.text().replace(/, \d+\.\d s/, ", T s"),
      "fan-out: 0 done / 0 failed / 2 running of 2, T s\n" +
        "stopped early: the call ended before every node's result arrived\n",
    );
  } finally {
    await agent.close();
  }
});
