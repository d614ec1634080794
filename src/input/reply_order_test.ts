import { assertEquals } from "../../test/assert.ts";
import type { ReplyLine } from "./client_protocol.ts";
import { ReplyOrder } from "./reply_order.ts";

function part(data: string, seq?: number, final?: boolean): ReplyLine {
  return {
    status: "reply",
    id: "r1",
    node: "ship1",
    ok: true,
    data,
    repliedAt: 0,
    ...(seq === undefined ? {} : { seq }),
    ...(final ? { final } : {}),
  };
}

Deno.test("ReplyOrder.add() completes a reply without seq at once", () => {
  const order = new ReplyOrder();
  assertEquals(order.add(part("all")).map((l) => l.data), ["all"]);
  assertEquals(order.complete, true);
});

Deno.test("ReplyOrder.add() holds parts that arrive early and hands them on in order", () => {
  const order = new ReplyOrder();
  assertEquals(order.add(part("c", 2)), []);
  assertEquals(order.add(part("d", 3, true)), []);
  assertEquals(order.add(part("a", 0)).map((l) => l.data), ["a"]);
  assertEquals(order.complete, false);
  assertEquals(order.add(part("b", 1)).map((l) => l.data), ["b", "c", "d"]);
  assertEquals(order.complete, true);
});

Deno.test("ReplyOrder.add() ignores a part seen twice and anything after completion", () => {
  const order = new ReplyOrder();
  order.add(part("a", 0));
  assertEquals(order.add(part("a", 0)), []);
  order.add(part("b", 1, true));
  assertEquals(order.add(part("late", 2)), []);
});

Deno.test("ReplyOrder.flush() returns held parts in seq order", () => {
  const order = new ReplyOrder();
  order.add(part("c", 2));
  order.add(part("b", 1));
  assertEquals(order.flush().map((l) => l.data), ["b", "c"]);
});
