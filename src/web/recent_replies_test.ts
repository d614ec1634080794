import { assertEquals } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import { RecentReplies } from "./recent_replies.ts";

function replyTo(id: string, fields: Partial<ReturnType<typeof testMessage>> = {}) {
  const request = testMessage({ id, method: "REQCliCommandCont" });
  return testMessage({
    id: `${id}-reply`,
    isReply: true,
    fromNode: "ship1",
    previousMessage: request,
    ...fields,
  });
}

Deno.test("RecentReplies keeps the latest outcome per request, never undoing an end", () => {
  const replies = new RecentReplies();
  replies.add(replyTo("a", { seq: 0 }), 1);
  replies.add(replyTo("a", { seq: 1, final: true }), 2);
  replies.add(replyTo("a", { seq: 2 }), 3); // Late partial: the end stands.
  replies.add(replyTo("b", { ok: false, error: "boom" }), 4);
  replies.add(replyTo("b"), 5);
  replies.add(testMessage({ id: "no-request", isReply: true }), 6);
  assertEquals(replies.list(), [
    { id: "a", node: "ship1", method: "REQCliCommandCont", ok: true, last: true, at: 2 },
    {
      id: "b",
      node: "ship1",
      method: "REQCliCommandCont",
      ok: false,
      last: true,
      error: "boom",
      at: 4,
    },
  ]);
});

Deno.test("RecentReplies forgets the oldest request beyond its bound", () => {
  const replies = new RecentReplies(2);
  for (const id of ["a", "b", "c"]) replies.add(replyTo(id));
  assertEquals(replies.list().map((r) => r.id), ["b", "c"]);
});
