import { assert, assertEquals } from "../../test/assert.ts";
import type { Message } from "../message/schema.ts";
import { CHAIN_MARGIN_MS, chainLifetimeMs, ReplyChains } from "./reply_chains.ts";

const request: Message = {
  id: "req1",
  toNode: "ship1",
  fromNode: "central",
  method: "REQCliCommand",
  methodArgs: ["bash", "-c", "tree"],
  replyMethod: "REQCliCommand",
  replyMethodArgs: ["bash", "-c", 'echo "{{STEWARD_DATA}}" > apekatt.txt'],
  ACKTimeout: 3,
  retries: 3,
  replyACKTimeout: 3,
  replyRetries: 3,
  methodTimeout: 10,
  replyMethodTimeout: 10,
  directory: "",
  fileName: "",
  data: "",
  createdAt: 1,
  isReply: false,
};

const reply: Message = {
  ...request,
  id: "rep1",
  toNode: "central",
  fromNode: "ship1",
  methodArgs: request.replyMethodArgs,
  replyMethod: undefined,
  replyMethodArgs: [],
  data: "output",
  isReply: true,
  previousMessage: {
    id: "req1",
    method: "REQCliCommand",
    toNode: "ship1",
    fromNode: "central",
    methodArgs: request.methodArgs,
  },
};

async function chains(): Promise<[ReplyChains, Deno.Kv]> {
  const kv = await Deno.openKv(":memory:");
  const c = new ReplyChains(kv, 60_000);
  await c.remember([request]);
  return [c, kv];
}

Deno.test("ReplyChains knows the command reply a request named, from its node", async () => {
  const [c, kv] = await chains();
  assertEquals(await c.authoredHere(reply), true);
  kv.close();
});

Deno.test("ReplyChains does not vouch for a forged or unrelated reply", async () => {
  const [c, kv] = await chains();
  const forged: [string, Message][] = [
    ["other command", { ...reply, methodArgs: ["bash", "-c", "rm -rf /"] }],
    ["extra argument", { ...reply, methodArgs: [...reply.methodArgs, "x"] }],
    ["other node", { ...reply, fromNode: "ship2" }],
    ["unknown request", { ...reply, previousMessage: { ...reply.previousMessage!, id: "nope" } }],
    ["not a reply", { ...reply, isReply: false }],
    ["other method", { ...reply, method: "REQCliCommandCont" }],
  ];
  for (const [what, m] of forged) assertEquals(await c.authoredHere(m), false, what);
  kv.close();
});

Deno.test("ReplyChains records nothing for requests without a command reply", async () => {
  const kv = await Deno.openKv(":memory:");
  const c = new ReplyChains(kv, 60_000);
  await c.remember([{ ...request, id: "plain", replyMethod: "REQToFile" }]);
  assertEquals((await kv.get(["chain", "plain"])).value, null);
  kv.close();
});

Deno.test("ReplyChains lets a request's chained command run once: a new reply id is refused", async () => {
  const [c, kv] = await chains();
  assertEquals(await c.authoredHere(reply), true);
  // A resend of the same reply (same id) is still recognised: dedup stops it running twice.
  assertEquals(await c.authoredHere(reply), true);
  for (let i = 0; i < 3; i++) {
    assertEquals(await c.authoredHere({ ...reply, id: `replayed-${i}`, data: "x" }), false);
  }
  kv.close();
});

Deno.test("ReplyChains: of two replies racing for one request, exactly one wins", async () => {
  const [c, kv] = await chains();
  const racers = Array.from({ length: 8 }, (_, i) => ({ ...reply, id: `racer-${i}` }));
  const won = await Promise.all(racers.map((r) => c.authoredHere(r)));
  assertEquals(won.filter((w) => w).length, 1);
  kv.close();
});

Deno.test("chainLifetimeMs() is the request's delivery, run and reply bounds plus the margin", () => {
  assertEquals(chainLifetimeMs(request, 0), (3 * 4 + 10 + 3 * 4) * 1000);
  assertEquals(chainLifetimeMs(request), (3 * 4 + 10 + 3 * 4) * 1000 + CHAIN_MARGIN_MS);
  assertEquals(
    chainLifetimeMs(
      { ...request, ACKTimeout: 5, retries: 0, methodTimeout: 1, replyRetries: 0 },
      0,
    ),
    (5 + 1 + 3) * 1000,
  );
});

Deno.test("ReplyChains forgets a chain once its request can no longer be answered", async () => {
  const kv = await Deno.openKv(":memory:");
  const c = new ReplyChains(kv, 0);
  const quick = { ...request, ACKTimeout: 0, retries: 0, methodTimeout: 1, replyACKTimeout: 0 };
  await c.remember([quick]);
  const stored = (await kv.get<{ expiresAt: number }>(["chain", "req1"])).value!;
  const lifetime = stored.expiresAt - Date.now();
  assert(lifetime > 0 && lifetime <= 1000, `lifetime ${lifetime} ms, not the 24 h of before`);
  await new Promise((r) => setTimeout(r, 1100));
  assertEquals(await c.authoredHere(reply), false);
  kv.close();
});
