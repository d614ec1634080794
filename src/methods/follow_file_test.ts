import { assertEquals } from "../../test/assert.ts";
import { followFile, NotRegularFileError } from "./follow_file.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await wait(10);
  }
}

Deno.test("followFile() hands on only what is appended after it starts", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "old line\n");
  const stop = new AbortController();
  let text = "";
  const following = followFile(path, {
    signal: stop.signal,
    pollMs: 20,
    onText: (t) => {
      text += t;
      return Promise.resolve();
    },
  });
  await wait(60);
  await Deno.writeTextFile(path, "new 1\nnew 2\n", { append: true });
  await until(() => text === "new 1\nnew 2\n");
  stop.abort();
  await following;
  await Deno.remove(dir, { recursive: true });
});

Deno.test("followFile() follows a rotation and a truncation", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "");
  const stop = new AbortController();
  let text = "";
  const following = followFile(path, {
    signal: stop.signal,
    pollMs: 20,
    onText: (t) => {
      text += t;
      return Promise.resolve();
    },
  });
  await wait(60);
  await Deno.writeTextFile(path, "before\n", { append: true });
  await until(() => text.includes("before\n"));
  // Rotation: the old file gets one more line after its rename, then a new file appears.
  await Deno.rename(path, `${path}.1`);
  await Deno.writeTextFile(`${path}.1`, "late in old\n", { append: true });
  await Deno.writeTextFile(path, "first in new\n");
  await until(() => text.includes("first in new\n"));
  // Truncation: shorter than what was read, so it starts again from the start.
  await Deno.writeTextFile(path, "");
  await wait(60);
  await Deno.writeTextFile(path, "after truncate\n", { append: true });
  await until(() => text.includes("after truncate\n"));
  stop.abort();
  await following;
  assertEquals(text, "before\nlate in old\nfirst in new\nafter truncate\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("followFile() keeps a UTF-8 character split across reads whole", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/u.log`;
  await Deno.writeTextFile(path, "");
  const stop = new AbortController();
  let text = "";
  const following = followFile(path, {
    signal: stop.signal,
    pollMs: 20,
    onText: (t) => {
      text += t;
      return Promise.resolve();
    },
  });
  await wait(50);
  const bytes = new TextEncoder().encode("blåbær\n");
  const f = await Deno.open(path, { append: true });
  await f.write(bytes.subarray(0, 3)); // Ends inside "å".
  await wait(80);
  await f.write(bytes.subarray(3));
  f.close();
  await until(() => text.endsWith("\n"));
  stop.abort();
  await following;
  assertEquals(text, "blåbær\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("followFile() refuses a FIFO at once instead of blocking on its open", async () => {
  const dir = await Deno.makeTempDir();
  const fifo = `${dir}/fifo`;
  try {
    assertEquals((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success, true);
    const started = Date.now();
    const error = await followFile(fifo, {
      signal: AbortSignal.timeout(5000),
      onText: () => Promise.resolve(),
    }).then(() => undefined, (err) => err);
    assertEquals(error instanceof NotRegularFileError, true);
    assertEquals(/fifo is a FIFO, not a regular file/.test(error.message), true);
    assertEquals(Date.now() - started < 1000, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("followFile() refuses a device and a folder", async () => {
  for (const [path, kind] of [["/dev/zero", "a device"], ["/tmp", "a folder"]]) {
    const error = await followFile(path, {
      signal: AbortSignal.timeout(5000),
      onText: () => Promise.resolve(),
    }).then(() => undefined, (err) => err);
    assertEquals(error instanceof NotRegularFileError, true, path);
    assertEquals(error.message.includes(`${path} is ${kind}`), true, error.message);
  }
});

Deno.test("followFile() stops following when the file is rotated into a FIFO", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/app.log`;
  try {
    await Deno.writeTextFile(path, "");
    const following = followFile(path, {
      signal: AbortSignal.timeout(5000),
      pollMs: 20,
      onText: () => Promise.resolve(),
    }).then(() => undefined, (err) => err);
    await wait(60);
    await Deno.rename(path, `${path}.1`);
    await new Deno.Command("mkfifo", { args: [path] }).output();
    const error = await following;
    assertEquals(error instanceof NotRegularFileError, true, String(error));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
