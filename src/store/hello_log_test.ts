import { assertEquals, assertRejects } from "../../test/assert.ts";
import { HelloLog } from "./hello_log.ts";

Deno.test("HelloLog.append() adds a line per hello to the node's own log", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = new HelloLog(dir);
    await Promise.all([
      log.append("ship1", "a hello from ship1\n"),
      log.append("ship2", "a hello from ship2\n"),
      log.append("ship1", "another hello from ship1\n"),
    ]);
    assertEquals(
      await Deno.readTextFile(`${dir}/ship1/hello.log`),
      "a hello from ship1\nanother hello from ship1\n",
    );
    assertEquals(await Deno.readTextFile(`${dir}/ship2/hello.log`), "a hello from ship2\n");
    assertEquals((await Deno.stat(`${dir}/ship1/hello.log`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HelloLog.append() rotates the log past its size, keeping maxFiles older ones", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = new HelloLog(dir, { maxBytes: 20, maxFiles: 2 });
    for (let i = 0; i < 5; i++) await log.append("ship1", `hello number ${i}\n`);
    assertEquals(await Deno.readTextFile(`${dir}/ship1/hello.log`), "hello number 4\n");
    assertEquals(await Deno.readTextFile(`${dir}/ship1/hello.log.1`), "hello number 3\n");
    assertEquals(await Deno.readTextFile(`${dir}/ship1/hello.log.2`), "hello number 2\n");
    await assertRejects(() => Deno.stat(`${dir}/ship1/hello.log.3`), /No such file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HelloLog.append() refuses a link in place of the node's folder or file", async () => {
  const dir = await Deno.makeTempDir();
  const elsewhere = await Deno.makeTempDir();
  try {
    await Deno.symlink(elsewhere, `${dir}/ship1`);
    const log = new HelloLog(dir);
    await assertRejects(() => log.append("ship1", "x\n"), /is a symbolic link/);
    await Deno.mkdir(`${dir}/ship2`);
    await Deno.symlink(`${elsewhere}/target`, `${dir}/ship2/hello.log`);
    await assertRejects(() => log.append("ship2", "x\n"), /is a symbolic link/);
    assertEquals([...Deno.readDirSync(elsewhere)], []);
    // A failed append does not block the next one.
    await Deno.remove(`${dir}/ship2/hello.log`);
    await log.append("ship2", "y\n");
    assertEquals(await Deno.readTextFile(`${dir}/ship2/hello.log`), "y\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(elsewhere, { recursive: true });
  }
});
