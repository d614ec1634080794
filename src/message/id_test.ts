import { assertEquals } from "../../test/assert.ts";
import { createIdGenerator } from "./id.ts";

Deno.test("createIdGenerator() makes unique ids that sort in creation order", () => {
  const next = createIdGenerator();
  const ids = Array.from({ length: 5000 }, () => next());
  assertEquals(new Set(ids).size, ids.length);
  assertEquals([...ids].sort(), ids);
});
