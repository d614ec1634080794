import { assertEquals } from "../../test/assert.ts";
import { chunkCount, copyAnswerSchema, parsePlan, planArgs } from "./protocol.ts";

Deno.test("planArgs() and parsePlan() carry a plan across REQCopyDst's methodArgs", () => {
  const plan = {
    dstPath: "/in/a.log",
    copyId: "01J0ABC",
    size: 1024 ** 3,
    chunkBytes: 524288,
    mode: 0o640,
    folderMode: 0o750,
    owner: "1000:1000",
  };
  assertEquals(parsePlan(planArgs(plan)), plan);
  const bare = { dstPath: "/in/b", copyId: "c1", size: 0, chunkBytes: 4, mode: 0o600 };
  assertEquals(parsePlan(planArgs(bare)), bare);
});

Deno.test("parsePlan() refuses a copy id that could name another file, and bad numbers", () => {
  const good = ["/in/a", "c1", "10", "4", "640", "", ""];
  const bad = [
    ["/in/a", "../x", "10", "4", "640"],
    ["/in/a", "c1", "-1", "4", "640"],
    ["/in/a", "c1", "10", "0", "640"],
    ["/in/a", "c1", "10", "4", "999"],
    ["/in/a", "c1", "10", "4", "640", "rwx"],
    ["/in/a", "c1", "10", "4", "640", "", "root"],
    ["", "c1", "10", "4", "640"],
  ];
  assertEquals(typeof parsePlan(good), "object");
  for (const args of bad) assertEquals(typeof parsePlan(args), "string", JSON.stringify(args));
});

Deno.test("chunkCount() counts the short last chunk, and one chunk for an empty file", () => {
  assertEquals([chunkCount(8, 4), chunkCount(9, 4), chunkCount(0, 4)], [2, 3, 1]);
});

Deno.test("copyAnswerSchema refuses members it does not know", () => {
  assertEquals(copyAnswerSchema.safeParse({ next: 1 }).success, true);
  assertEquals(copyAnswerSchema.safeParse({ next: 1, extra: true }).success, false);
  assertEquals(copyAnswerSchema.safeParse({ next: -1 }).success, false);
});
