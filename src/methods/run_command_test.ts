import { assert, assertEquals, assertRejects } from "../../test/assert.ts";
import { runCommand } from "./run_command.ts";
import { sessionLeader } from "./command_environment.ts";

const spawn = { env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/nowhere" } };

Deno.test("runCommand() gives a command only its spawn environment, never the agent's", async () => {
  Deno.env.set("H5_AGENT_SECRET", "do-not-leak");
  try {
    const out = await runCommand(["env"], {
      signal: AbortSignal.timeout(10_000),
      maxOutputBytes: 1 << 20,
      spawn,
      env: { STEWARD_DATA: "x y" },
    });
    assertEquals(out.stdout.split("\n").filter((l) => l !== "").sort(), [
      "HOME=/nowhere",
      "PATH=/usr/local/bin:/usr/bin:/bin",
      "STEWARD_DATA=x y",
    ]);
  } finally {
    Deno.env.delete("H5_AGENT_SECRET");
  }
});

async function running(pattern: string): Promise<boolean> {
  return (await new Deno.Command("pgrep", { args: ["-f", pattern] }).output()).code === 0;
}

Deno.test({
  name: "runCommand() runs as the spawn's user, in its folder, and kills its group at the end",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const nobody = { name: "nobody", uid: 65534, gid: 65534, home: "/" };
    const asNobody = { ...spawn, user: nobody, cwd: "/" };
    const out = await runCommand(["bash", "-c", "id -u; id -G; pwd"], {
      signal: AbortSignal.timeout(10_000),
      maxOutputBytes: 1 << 20,
      spawn: asNobody,
    });
    // No group of the agent's (root) is kept.
    assertEquals(out.stdout, "65534\n65534\n/\n");
    const controller = new AbortController();
    const run = runCommand(["bash", "-c", "sleep 4219 & sleep 4219"], {
      signal: controller.signal,
      maxOutputBytes: 1 << 20,
      spawn: asNobody,
    });
    for (let i = 0; i < 100 && !(await running("sleep 4219")); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    controller.abort(new Error("test over"));
    await assertRejects(() => run, /bash stopped: test over/);
    await new Promise((r) => setTimeout(r, 300));
    assert(!(await running("sleep 4219")), "a process of nobody's group outlived the command");
  },
});

Deno.test("runCommand() through setsid: own group killed at the end, errors as without it", async () => {
  const setsid = await sessionLeader();
  if (!setsid) return; // Not Linux, or no util-linux: commands are spawned detached.
  const viaSetsid = { ...spawn, setsid };
  const out = await runCommand(["sh", "-c", "echo $$ $(ps -o pgid= -p $$)"], {
    signal: AbortSignal.timeout(10_000),
    maxOutputBytes: 1 << 20,
    spawn: viaSetsid,
  });
  const [pid, pgid] = out.stdout.trim().split(/\s+/);
  assertEquals(pid, pgid); // It leads its own group, in the process spawned (no fork between).
  const controller = new AbortController();
  const run = runCommand(["bash", "-c", "sleep 4223 & sleep 4223"], {
    signal: controller.signal,
    maxOutputBytes: 1 << 20,
    spawn: viaSetsid,
  });
  for (let i = 0; i < 100 && !(await running("sleep 4223")); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  controller.abort(new Error("test over"));
  await assertRejects(() => run, /bash stopped: test over/);
  await new Promise((r) => setTimeout(r, 300));
  assert(!(await running("sleep 4223")), "a process of the command's group outlived it");
  const options = { signal: AbortSignal.timeout(10_000), maxOutputBytes: 1024, spawn: viaSetsid };
  await assertRejects(() => runCommand(["no-such-command-4223"], options), /^command not found/);
  await assertRejects(() => runCommand(["/etc/passwd"], options), /^cannot start \/etc\/passwd/);
  const failed = await runCommand(["sh", "-c", "exit 127"], options);
  assertEquals(failed.code, 127);
});

Deno.test("a spooled command ignores a result planted in its spool unless it resumes a run", async () => {
  const setsid = await sessionLeader();
  if (!setsid) return; // Spooling needs setsid (Linux).
  const { CommandSpool } = await import("./command_spool.ts");
  const spool = new CommandSpool(await Deno.makeTempDir());
  const dir = spool.prepare("m1");
  Deno.writeTextFileSync(`${dir}/out`, "planted\n");
  Deno.writeTextFileSync(`${dir}/code`, "0\n");
  const options = {
    signal: AbortSignal.timeout(10_000),
    maxOutputBytes: 1 << 20,
    spawn: { ...spawn, setsid, spool },
    spoolId: "m1",
  };
  // A new run: the folder is emptied and the command really runs.
  assertEquals((await runCommand(["echo", "real"], options)).stdout, "real\n");
  // A resumed run takes what the earlier process's wrapper left.
  Deno.writeTextFileSync(`${dir}/out`, "left\n");
  assertEquals(
    (await runCommand(["echo", "real"], { ...options, resumed: true })).stdout,
    "left\n",
  );
});
