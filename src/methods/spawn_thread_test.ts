import { assert, assertEquals, assertRejects } from "../../test/assert.ts";
import { runCommand } from "./run_command.ts";
import { sessionLeader } from "./command_environment.ts";
import { SpawnThread } from "./spawn_thread.ts";

const env = { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/nowhere" };

async function running(pattern: string): Promise<boolean> {
  return (await new Deno.Command("pgrep", { args: ["-f", pattern] }).output()).code === 0;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function withThread(fn: (thread: SpawnThread, setsid?: string) => Promise<void>) {
  const thread = new SpawnThread();
  try {
    await fn(thread, await sessionLeader());
  } finally {
    thread.close();
  }
}

Deno.test("runCommand() in the spawn thread: own group, spawn env only, errors as on the agent's thread", async () => {
  await withThread(async (thread, setsid) => {
    const spawn = { env, thread, ...(setsid ? { setsid } : {}) };
    Deno.env.set("H5_AGENT_SECRET", "do-not-leak");
    const envOut = await runCommand(["env"], {
      signal: AbortSignal.timeout(10_000),
      maxOutputBytes: 1 << 20,
      spawn,
      env: { STEWARD_DATA: "x y" },
    });
    Deno.env.delete("H5_AGENT_SECRET");
    assertEquals(envOut.stdout.split("\n").filter((l) => l !== "").sort(), [
      "HOME=/nowhere",
      "PATH=/usr/local/bin:/usr/bin:/bin",
      "STEWARD_DATA=x y",
    ]);
    const out = await runCommand(["sh", "-c", "echo $$ $(ps -o pgid= -p $$)"], {
      signal: AbortSignal.timeout(10_000),
      maxOutputBytes: 1 << 20,
      spawn,
    });
    const [pid, pgid] = out.stdout.trim().split(/\s+/);
    assertEquals(pid, pgid); // It leads its own group.
    const options = { signal: AbortSignal.timeout(10_000), maxOutputBytes: 1024, spawn };
    await assertRejects(() => runCommand(["no-such-command-4229"], options), /^command not found/);
    await assertRejects(
      () => runCommand(["sh", "-c", "yes | head -c 5000"], options),
      /exceeds the limit of 1024 bytes/,
    );
    assertEquals((await runCommand(["sh", "-c", "exit 3"], options)).code, 3);
  });
});

Deno.test("runCommand() in the spawn thread: a stop and the end kill the whole group", async () => {
  await withThread(async (thread, setsid) => {
    const spawn = { env, thread, ...(setsid ? { setsid } : {}) };
    const controller = new AbortController();
    const run = runCommand(["bash", "-c", "sleep 4231 & sleep 4231"], {
      signal: controller.signal,
      maxOutputBytes: 1 << 20,
      spawn,
    });
    await until(() => running("sleep 4231"), "the sleeps");
    controller.abort(new Error("test over"));
    await assertRejects(() => run, /bash stopped: test over/);
    await until(async () => !(await running("sleep 4231")), "the group to be gone");
    // Ended by itself with a child in the background: that child is killed too.
    await runCommand(["bash", "-c", "sleep 4232 >/dev/null 2>&1 & echo started"], {
      signal: AbortSignal.timeout(10_000),
      maxOutputBytes: 1 << 20,
      spawn,
    });
    await until(async () => !(await running("sleep 4232")), "the background child to be gone");
  });
});

Deno.test("runCommand() in the spawn thread streams output, the next chunk once one is taken", async () => {
  await withThread(async (thread) => {
    const chunks: string[] = [];
    const decoder = new TextDecoder();
    let taking = 0;
    let overlapped = false;
    const out = await runCommand(["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.05; done"], {
      signal: AbortSignal.timeout(10_000),
      maxOutputBytes: 1 << 20,
      spawn: { env, thread },
      onOutput: async (chunk) => {
        if (taking++ > 0) overlapped = true;
        await new Promise((r) => setTimeout(r, 80)); // Slower than the command writes.
        chunks.push(decoder.decode(chunk));
        taking--;
      },
    });
    assertEquals(out.code, 0);
    assertEquals(chunks.join(""), "line1\nline2\nline3\n");
    assert(!overlapped, "a chunk was handed over before the one before it was taken");
  });
});

Deno.test("commands whose spawn thread ends fail as interrupted, their groups killed", async () => {
  const thread = new SpawnThread();
  const run = runCommand(["bash", "-c", "sleep 4233 & sleep 4233"], {
    signal: AbortSignal.timeout(30_000),
    maxOutputBytes: 1 << 20,
    spawn: { env, thread },
  });
  await until(() => running("sleep 4233"), "the sleeps");
  thread.close();
  await assertRejects(() => run, /bash interrupted: the spawn thread was closed; it was killed/);
  await until(async () => !(await running("sleep 4233")), "the group to be gone");
  // The next command starts another worker.
  const again = await runCommand(["echo", "again"], {
    signal: AbortSignal.timeout(10_000),
    maxOutputBytes: 1024,
    spawn: { env, thread },
  });
  assertEquals(again.stdout, "again\n");
  thread.close();
});
