import { assert, assertEquals, assertMatch, assertRejects } from "../../test/assert.ts";
import { CorruptDatabaseError, kvFileProblem, openKvFile } from "./kv_file.ts";

async function kvWithRecords(path: string): Promise<void> {
  const kv = await Deno.openKv(path);
  for (let i = 0; i < 20; i++) {
    const op = kv.atomic();
    for (let j = 0; j < 50; j++) op.set(["r", i, j], "x".repeat(200));
    await op.commit();
  }
  kv.close();
}

Deno.test("openKvFile() creates the database 0600, and its -wal and -shm with it", async () => {
  const dir = await Deno.makeTempDir();
  const kv = await openKvFile(`${dir}/steward.kv`);
  await kv.set(["a"], 1);
  for (const name of ["steward.kv", "steward.kv-wal", "steward.kv-shm"]) {
    assertEquals(Deno.statSync(`${dir}/${name}`).mode! & 0o777, 0o600, name);
  }
  kv.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("openKvFile() refuses a database damaged in the middle, naming it and what to do", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/steward.kv`;
  await kvWithRecords(path);
  assertEquals(kvFileProblem(path), undefined);
  const size = Deno.statSync(path).size;
  const file = Deno.openSync(path, { write: true });
  file.seekSync(Math.floor(size / 2 / 4096) * 4096, Deno.SeekMode.Start);
  file.writeSync(crypto.getRandomValues(new Uint8Array(8192)));
  file.close();
  assert(kvFileProblem(path) !== undefined, "the damage is found");
  const err = await assertRejects(() => openKvFile(path), /is corrupt/);
  assert(err instanceof CorruptDatabaseError);
  assertMatch(err.message, new RegExp(`${path.replaceAll(".", "\\.")} is corrupt`));
  assertMatch(err.message, /move it aside/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("kvFileProblem() leaves a folder in the way to Deno.openKv's own error", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/steward.kv`);
  assertEquals(kvFileProblem(`${dir}/steward.kv`), undefined);
  await assertRejects(() => openKvFile(`${dir}/steward.kv`));
  await Deno.remove(dir, { recursive: true });
});
