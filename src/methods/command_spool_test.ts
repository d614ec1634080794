import { assert, assertEquals } from "../../test/assert.ts";
import { collectSpooled, CommandSpool, SPOOL_SCRIPT } from "./command_spool.ts";

/** Starts the spool wrapper for `argv` the way the agent does, and returns its pid. */
function spawnWrapper(dir: string, argv: string[]): Deno.ChildProcess {
  return new Deno.Command("setsid", {
    args: ["sh", "-c", SPOOL_SCRIPT, dir, ...argv],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Until the wrapper of `id` has written its pid: its command is about to start. */
function started(spool: CommandSpool, id: string): () => boolean {
  return () => {
    try {
      Deno.statSync(`${spool.folderOf(id)}/pid`);
      return spool.state(id).kind === "running";
    } catch {
      return false;
    }
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  assert(check(), "timed out");
}

Deno.test("a spool folder is named by the message id, or by its hash when the id is not a plain name", () => {
  const spool = new CommandSpool("/s");
  assertEquals(spool.folderOf("abc-1_2"), "/s/abc-1_2");
  for (const id of ["../x", "a/b", ".", "é", "x".repeat(65)]) {
    const folder = spool.folderOf(id);
    assert(/^\/s\/h-[0-9a-f]{64}$/.test(folder), folder);
  }
});

Deno.test("the wrapper records pid, output, error and exit code; the state follows it", async () => {
  const spool = new CommandSpool(await Deno.makeTempDir());
  assertEquals(spool.state("m"), { kind: "absent" });
  const dir = spool.prepare("m");
  assertEquals(spool.state("m"), { kind: "unstarted" });
  assertEquals(Deno.statSync(dir).mode! & 0o777, 0o700);
  const child = spawnWrapper(dir, ["bash", "-c", "echo out; echo err >&2; sleep 0.3; exit 4"]);
  await until(started(spool, "m"));
  assertEquals(spool.state("m"), { kind: "running", pid: child.pid });
  await child.status;
  assertEquals(spool.state("m"), { kind: "ended", code: 4 });
  assertEquals(Deno.readTextFileSync(`${dir}/out`), "out\n");
  assertEquals(Deno.readTextFileSync(`${dir}/err`), "err\n");
});

Deno.test("the wrapper runs the executable, not sh's builtin of the same name", async () => {
  const spool = new CommandSpool(await Deno.makeTempDir());
  const dir = spool.prepare("m");
  // dash's builtin echo would turn \n into a newline; /bin/echo prints it as it is.
  await spawnWrapper(dir, ["echo", "a\\nb"]).status;
  assertEquals(Deno.readTextFileSync(`${dir}/out`), "a\\nb\n");
});

Deno.test("a wrapper killed with its command is lost; a torn exit code does not count", async () => {
  const spool = new CommandSpool(await Deno.makeTempDir());
  const dir = spool.prepare("m");
  const child = spawnWrapper(dir, ["sleep", "30"]);
  await until(started(spool, "m"));
  Deno.kill(-child.pid, "SIGKILL");
  await child.status;
  assertEquals(spool.state("m"), { kind: "lost" });
  Deno.writeTextFileSync(`${dir}/code`, "1");
  assertEquals(spool.state("m"), { kind: "lost" });
  Deno.writeTextFileSync(`${dir}/code`, "1\n");
  assertEquals(spool.state("m"), { kind: "ended", code: 1 });
});

Deno.test("a pid reused by another process is not taken for the wrapper", async () => {
  const spool = new CommandSpool(await Deno.makeTempDir());
  const dir = spool.prepare("m");
  const other = new Deno.Command("sleep", { args: ["5"] }).spawn();
  Deno.writeTextFileSync(`${dir}/pid`, `${other.pid}\n`);
  try {
    assertEquals(spool.state("m"), { kind: "lost" });
  } finally {
    other.kill("SIGKILL");
    await other.status;
  }
});

Deno.test("collectSpooled() waits for a running command and reads its result", async () => {
  const spool = new CommandSpool(await Deno.makeTempDir());
  const dir = spool.prepare("m");
  const child = spawnWrapper(dir, ["bash", "-c", "sleep 0.3; echo late; exit 2"]);
  await until(started(spool, "m"));
  const state = spool.state("m") as { kind: "running"; pid: number };
  const out = await collectSpooled(spool, "m", state, {
    signal: new AbortController().signal,
    maxOutputBytes: 100,
    maxErrorBytes: 100,
  });
  assertEquals(out, { code: 2, stdout: "late\n", stderr: "", overflow: false });
  await child.status;
});

Deno.test("collectSpooled() stops a command whose output passes the limit, and on abort", async () => {
  const spool = new CommandSpool(await Deno.makeTempDir());
  const dir = spool.prepare("m");
  const child = spawnWrapper(dir, ["bash", "-c", "yes | head -c 5000; sleep 30"]);
  await until(started(spool, "m"));
  const state = spool.state("m") as { kind: "running"; pid: number };
  const out = await collectSpooled(spool, "m", state, {
    signal: new AbortController().signal,
    maxOutputBytes: 1000,
    maxErrorBytes: 100,
  });
  assert(out !== "lost" && out.overflow);
  await child.status;

  const dir2 = spool.prepare("n");
  const child2 = spawnWrapper(dir2, ["sleep", "30"]);
  await until(started(spool, "n"));
  const stop = new AbortController();
  const collecting = collectSpooled(
    spool,
    "n",
    spool.state("n") as { kind: "running"; pid: number },
    {
      signal: stop.signal,
      maxOutputBytes: 1000,
      maxErrorBytes: 100,
    },
  );
  stop.abort();
  // Its whole group was killed, wrapper and all: a result without an exit status of its own.
  const stopped = await collecting;
  assert(stopped !== "lost" && stopped.code === 137);
  await child2.status;
});

Deno.test("sweep() removes old spools except those kept, and never a newer one", async () => {
  const spool = new CommandSpool(await Deno.makeTempDir());
  spool.prepare("old");
  spool.prepare("kept");
  const before = Date.now() + 1;
  await new Promise((r) => setTimeout(r, 20));
  spool.prepare("new");
  assertEquals(spool.sweep(before, new Set(["kept"])), 1);
  assertEquals(
    [...Deno.readDirSync(spool.folder)].map((e) => e.name).sort(),
    ["kept", "new"],
  );
  await spool.remove("kept");
  assert(!spool.exists("kept"));
});

Deno.test("release() gives back the space of sent output in steps, keeping every offset", async () => {
  const spool = new CommandSpool(await Deno.makeTempDir());
  const dir = spool.prepare("m");
  const data = new Uint8Array(1 << 20).fill(97);
  Deno.writeFileSync(`${dir}/out`, data);
  const blocks = () => Deno.statSync(`${dir}/out`).blocks ?? 0;
  const before = blocks();
  await spool.release("m", 100_000, 512 * 1024); // Less than a step: kept.
  assertEquals(blocks(), before);
  await spool.release("m", 768 * 1024, 512 * 1024);
  assert(blocks() < before / 2, `${blocks()} of ${before} blocks`);
  const file = Deno.readFileSync(`${dir}/out`);
  assertEquals(file.length, 1 << 20); // Same size: the writer and a reader keep their offsets.
  assertEquals(file[768 * 1024], 97);
  assertEquals(file[0], 0);
});
