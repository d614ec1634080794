import { assertEquals, assertRejects } from "../../test/assert.ts";
import { ReplyFiles } from "./reply_files.ts";

Deno.test("ReplyFiles.write() appends in call order when many are queued at once", async () => {
  const dir = await Deno.makeTempDir();
  const files = new ReplyFiles();
  const path = `${dir}/ping/ship1/pong.log`;
  const lines = Array.from({ length: 500 }, (_, i) => `pong ${i}\n`);
  await Promise.all(lines.map((l) => files.write(path, l, "append")));
  assertEquals(await Deno.readTextFile(path), lines.join(""));
  await files.write(path, "last\n", "append");
  assertEquals(await Deno.readTextFile(path), lines.join("") + "last\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ReplyFiles.write() in write mode replaces the file and what was queued before", async () => {
  const dir = await Deno.makeTempDir();
  const files = new ReplyFiles();
  const path = `${dir}/out/ship1/result.txt`;
  await files.write(path, "old\n", "append");
  await Promise.all([
    files.write(path, "a\n", "append"),
    files.write(path, "b\n", "append"),
    files.write(path, "new\n", "write"),
    files.write(path, "c\n", "append"),
  ]);
  assertEquals(await Deno.readTextFile(path), "new\nc\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ReplyFiles.write() makes the folder again when it was removed", async () => {
  const dir = await Deno.makeTempDir();
  const files = new ReplyFiles();
  const path = `${dir}/d/ship1/f.log`;
  await files.write(path, "1\n", "append");
  await Deno.remove(`${dir}/d`, { recursive: true });
  await files.write(path, "2\n", "append");
  assertEquals(await Deno.readTextFile(path), "2\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ReplyFiles.write() rejects every caller of a write that fails", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/blocker`, "");
  const files = new ReplyFiles();
  const path = `${dir}/blocker/ship1/f.log`;
  const a = files.write(path, "1\n", "append");
  const b = files.write(path, "2\n", "append");
  await assertRejects(() => a);
  await assertRejects(() => b);
  await files.idle();
  await Deno.remove(dir, { recursive: true });
});
