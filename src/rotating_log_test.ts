import { assertEquals } from "../test/assert.ts";
import { appendUnlessFull, RotatingLog } from "./rotating_log.ts";

const line = (c: string) => new TextEncoder().encode(c.repeat(99) + "\n"); // 100 bytes

async function sizes(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const e of Deno.readDir(dir)) out[e.name] = (await Deno.stat(`${dir}/${e.name}`)).size;
  return out;
}

Deno.test("RotatingLog rotates past maxBytes and keeps maxFiles older files, 0600", async () => {
  const dir = await Deno.makeTempDir();
  const log = await RotatingLog.open(`${dir}/a.log`, { maxBytes: 250, maxFiles: 2 });
  for (const c of "abcdefghij") await log.append(line(c)); // 10 lines, 2 per file
  log.close();
  assertEquals(await sizes(dir), { "a.log": 200, "a.log.1": 200, "a.log.2": 200 });
  assertEquals((await Deno.readTextFile(`${dir}/a.log`))[0], "i");
  assertEquals((await Deno.readTextFile(`${dir}/a.log.1`))[0], "g");
  assertEquals((await Deno.readTextFile(`${dir}/a.log.2`))[0], "e");
  for (const name of ["a.log", "a.log.1", "a.log.2"]) {
    assertEquals((await Deno.stat(`${dir}/${name}`)).mode! & 0o777, 0o600);
  }
});

Deno.test("RotatingLog with maxFiles 0 starts over; a write over the limit goes whole", async () => {
  const dir = await Deno.makeTempDir();
  const log = await RotatingLog.open(`${dir}/a.log`, { maxBytes: 150, maxFiles: 0 });
  await log.append(line("a"));
  await log.append(line("b"));
  await log.append(new TextEncoder().encode("c".repeat(300)));
  log.close();
  assertEquals(await sizes(dir), { "a.log": 300 });
});

Deno.test("RotatingLog continues an existing file and counts its size", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a.log`, "x".repeat(199) + "\n");
  const log = await RotatingLog.open(`${dir}/a.log`, { maxBytes: 250, maxFiles: 1 });
  assertEquals(log.size, 200);
  await log.append(line("a"));
  log.close();
  assertEquals(await sizes(dir), { "a.log": 100, "a.log.1": 200 });
});

Deno.test("RotatingLog ends a line a crash tore before it appends its own", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/audit.log`;
    await Deno.writeTextFile(path, '{"whole":1}\n{"torn":');
    const log = await RotatingLog.open(path, { maxBytes: 1 << 20, maxFiles: 2 });
    await log.append(new TextEncoder().encode('{"next":2}\n'));
    log.close();
    const lines = (await Deno.readTextFile(path)).split("\n");
    assertEquals(lines, ['{"whole":1}', '{"torn":', '{"next":2}', ""]);
    assertEquals(log.size, (await Deno.stat(path)).size);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("appendUnlessFull() appends, ends a torn line, and leaves a full log to rotation", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/hello.log`;
  const text = (t: string) => new TextEncoder().encode(t);
  const limits = { maxBytes: 16, maxFiles: 2 };
  try {
    assertEquals(appendUnlessFull(path, text("a\n"), limits), true);
    await Deno.writeTextFile(path, "torn", { append: true });
    assertEquals(appendUnlessFull(path, text("b\n"), limits), true);
    assertEquals(await Deno.readTextFile(path), "a\ntorn\nb\n");
    assertEquals(appendUnlessFull(path, text("0123456789\n"), limits), false);
    assertEquals(await Deno.readTextFile(path), "a\ntorn\nb\n", "nothing written");
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
