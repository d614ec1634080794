import { assertEquals, assertRejects } from "../../test/assert.ts";
import { ReplyFiles } from "./reply_files.ts";

Deno.test("ReplyFiles.write() appends in call order when many are queued at once", async () => {
  const dir = await Deno.makeTempDir();
  const files = new ReplyFiles(dir);
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
  const files = new ReplyFiles(dir);
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
  const files = new ReplyFiles(dir);
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
  const files = new ReplyFiles(dir);
  const path = `${dir}/blocker/ship1/f.log`;
  const a = files.write(path, "1\n", "append");
  const b = files.write(path, "2\n", "append");
  await assertRejects(() => a);
  await assertRejects(() => b);
  await files.idle();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ReplyFiles.write() refuses a folder link, a file link and a folder, and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const outside = await Deno.makeTempDir();
  const files = new ReplyFiles(dir);
  await Deno.symlink(outside, `${dir}/evil`);
  await Deno.mkdir(`${dir}/ok/ship1`, { recursive: true });
  await Deno.symlink(`${outside}/target`, `${dir}/ok/ship1/x`);
  await Deno.writeTextFile(`${outside}/existing`, "kept\n");
  await Deno.symlink(`${outside}/existing`, `${dir}/ok/ship1/y`);
  await Deno.mkdir(`${dir}/ok/ship1/folder`);
  for (
    const [path, mode] of [
      [`${dir}/evil/ship1/f`, "write"],
      [`${dir}/evil/f`, "append"],
      [`${dir}/ok/ship1/x`, "append"],
      [`${dir}/ok/ship1/y`, "write"],
    ] as const
  ) {
    await assertRejects(
      () => files.write(path, "pwned\n", mode),
      /symbolic link/,
    );
  }
  await assertRejects(
    () => files.write(`${dir}/ok/ship1/folder`, "x", "append"),
    /not a regular file/,
  );
  await assertRejects(() => files.read(`${dir}/ok/ship1/y`), /symbolic link/);
  assertEquals([...Deno.readDirSync(outside)].map((e) => e.name), ["existing"]);
  assertEquals(await Deno.readTextFile(`${outside}/existing`), "kept\n");
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(outside, { recursive: true });
});

Deno.test("ReplyFiles.write() creates files 0600 and folders 0700, or the modes it is given", async () => {
  const dir = await Deno.makeTempDir();
  await new ReplyFiles(dir).write(`${dir}/a/ship1/f`, "1\n", "append");
  assertEquals(Deno.statSync(`${dir}/a`).mode! & 0o777, 0o700);
  assertEquals(Deno.statSync(`${dir}/a/ship1`).mode! & 0o777, 0o700);
  assertEquals(Deno.statSync(`${dir}/a/ship1/f`).mode! & 0o777, 0o600);
  await new ReplyFiles(dir, { file: 0o640, folder: 0o750 }).write(
    `${dir}/b/ship1/f`,
    "1\n",
    "write",
  );
  assertEquals(Deno.statSync(`${dir}/b/ship1`).mode! & 0o777, 0o750);
  assertEquals(Deno.statSync(`${dir}/b/ship1/f`).mode! & 0o777, 0o640);
  await Deno.remove(dir, { recursive: true });
});

Deno.test('ReplyFiles.read() reads a reply file, and gives "" for one not written yet', async () => {
  const dir = await Deno.makeTempDir();
  const files = new ReplyFiles(dir);
  assertEquals(await files.read(`${dir}/none/ship1/f`), "");
  await files.write(`${dir}/r/ship1/f`, "hello\n", "append");
  assertEquals(await files.read(`${dir}/r/ship1/f`), "hello\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ReplyFiles.write() notices a checked folder replaced by a link later: nothing lands outside", async () => {
  const dir = await Deno.makeTempDir();
  const outside = await Deno.makeTempDir();
  const files = new ReplyFiles(dir);
  const path = `${dir}/ping/ship1/pong.log`;
  await files.write(path, "1\n", "append");
  await Deno.remove(`${dir}/ping/ship1`, { recursive: true });
  await Deno.symlink(outside, `${dir}/ping/ship1`);
  await assertRejects(() => files.write(path, "2\n", "append"), /symbolic link/);
  assertEquals([...Deno.readDirSync(outside)], []);
  // A folder made again in its place (not a link) is written to.
  await Deno.remove(`${dir}/ping/ship1`);
  await Deno.mkdir(`${dir}/ping/ship1`);
  await files.write(path, "3\n", "append");
  assertEquals(await Deno.readTextFile(path), "3\n");
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(outside, { recursive: true });
});

Deno.test("ReplyFiles.write() refuses a file with other hard links", async () => {
  const dir = await Deno.makeTempDir();
  const files = new ReplyFiles(dir);
  await Deno.mkdir(`${dir}/h/ship1`, { recursive: true });
  await Deno.writeTextFile(`${dir}/elsewhere`, "kept\n");
  await Deno.link(`${dir}/elsewhere`, `${dir}/h/ship1/f`);
  await assertRejects(() => files.write(`${dir}/h/ship1/f`, "x\n", "write"), /hard links/);
  assertEquals(await Deno.readTextFile(`${dir}/elsewhere`), "kept\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ReplyFiles places each append of a message in the ledger, at its offset, before writing it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const placed: string[] = [];
    let refuse = false;
    const files = new ReplyFiles(dir, undefined, {
      place(id, path, offset, length) {
        if (refuse) throw new Error("journal full");
        // Placed before the bytes reach the file.
        const size = (() => {
          try {
            return Deno.statSync(path).size;
          } catch {
            return 0;
          }
        })();
        placed.push(`${id} ${path.slice(dir.length)} ${offset} ${length} (file ${size})`);
      },
    });
    const path = `${dir}/cli/ship1/out`;
    await files.write(path, "x\n", "append"); // No id: not placed.
    await Promise.all([
      files.write(path, "ok\n", "append", "m1"),
      files.write(path, "é\n", "append", "m2"), // Two bytes for one character.
    ]);
    assertEquals(placed, ["m1 /cli/ship1/out 2 3 (file 2)", "m2 /cli/ship1/out 5 3 (file 2)"]);
    refuse = true;
    await assertRejects(() => files.write(path, "lost\n", "append", "m3"), /journal full/);
    assertEquals(await Deno.readTextFile(path), "x\nok\né\n");
    assertEquals(files.size(path), 8);
    files.truncate(path, 5);
    assertEquals(await Deno.readTextFile(path), "x\nok\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
