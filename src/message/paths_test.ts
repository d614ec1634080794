import { assertEquals, assertRejects } from "../../test/assert.ts";
import { checkReplyPath, replyFilePath } from "./paths.ts";

Deno.test("replyFilePath() places replies at <data>/<directory>/<node>/<fileName>", () => {
  assertEquals(
    replyFilePath("/srv/data", { directory: "/var/cli/result/", node: "ship1", fileName: "x.log" }),
    "/srv/data/var/cli/result/ship1/x.log",
  );
  assertEquals(
    replyFilePath("data", { directory: "", node: "ship1", fileName: "x" }),
    "data/ship1/x",
  );
});

Deno.test("checkReplyPath() refuses traversal, separators in fileName and control characters", async () => {
  assertEquals(checkReplyPath("../../etc", "x"), 'directory "../../etc": ".." is not allowed');
  assertEquals(checkReplyPath("a/../../b", "x")?.includes(".."), true);
  assertEquals(checkReplyPath("a", "../x")?.startsWith('fileName "../x"'), true);
  assertEquals(checkReplyPath("a", "/etc/passwd")?.startsWith("fileName"), true);
  assertEquals(checkReplyPath("a\u0000b", "x")?.includes("control characters"), true);
  assertEquals(checkReplyPath("a", "x\u0000")?.includes("control characters"), true);
  assertEquals(checkReplyPath("a", ".."), 'fileName "..": is not a file name');
  assertEquals(checkReplyPath("logs/2024", "out.txt"), undefined);
  await assertRejects(
    () => replyFilePath("/d", { directory: "..", node: "n", fileName: "f" }),
    /Cannot place reply file/,
  );
});
