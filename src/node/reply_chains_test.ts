import { assertEquals } from "../../test/assert.ts";
import type { Message } from "../message/schema.ts";
import { ReplyChains } from "./reply_chains.ts";

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
