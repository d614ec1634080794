/**
 * `deno run -A scripts/bench/spawn_paths.ts [count] [concurrency]`: what one command costs to
 * start and collect on this machine, by the way it is started. Each path runs `echo x` `count`
 * times (default 1000), at most `concurrency` at once (default 16, the agent's default on two
 * cores), and reports the wall time and the CPU of the processes it made (this process's
 * reaped children, from `/proc/self/stat`):
 *
 * - `plain`: `echo` alone, through pipes (the spawn floor);
 * - `setsid`: `setsid echo x` (each command leading its own process group, unspooled);
 * - `spool`: `setsid sh -c SPOOL_SCRIPT <folder> echo x` and the files read back, as the agent
 *   starts a spooled command (three executables);
 * - `dispatcher`: one long-lived `bash` with job control that starts each command in its own
 *   process group and writes the same spool files, told over a pipe: one fork and one exec
 *   per command. The agent does not start commands this way; this measures what it would
 *   save.
 *
 * @module
 */
import { SPOOL_SCRIPT } from "../../src/methods/command_spool.ts";
import { runBounded } from "./cli_workload.ts";

const count = Number(Deno.args[0] ?? 1000);
const concurrency = Number(Deno.args[1] ?? 16);
const folder = await Deno.makeTempDir({ prefix: "steward-spawn-paths-" });
const TICKS = 100; // USER_HZ on Linux

/** CPU (ms) of the reaped children of `pid` so far; with `own`, its own CPU too. */
function childrenCpuMs(pid: number | "self" = "self", own = false): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  const ticks = Number(fields[13]) + Number(fields[14]) +
    (own ? Number(fields[11]) + Number(fields[12]) : 0);
  return (ticks * 1000) / TICKS;
}

/** The CPU counted for a path: this process's children, and a long-lived one's if given. */
let extraCpuMs = () => 0;

async function measure(name: string, start: (i: number) => Promise<void>): Promise<void> {
  const cpu0 = childrenCpuMs() + extraCpuMs();
  const t0 = performance.now();
  await runBounded(count, concurrency, start);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (childrenCpuMs() + extraCpuMs() - cpu0) / count;
  console.log(
    `${name.padEnd(11)} ${seconds.toFixed(2).padStart(6)} s  ` +
      `${cpu.toFixed(1).padStart(5)} ms of the children's CPU per command`,
  );
}

/** Reads back a spooled command's result, as the agent does, and removes its folder. */
function collect(dir: string): void {
  if (Deno.readTextFileSync(`${dir}/code`) !== "0\n") throw new Error(`${dir}: echo failed`);
  Deno.readTextFileSync(`${dir}/out`);
  Deno.removeSync(dir, { recursive: true });
}

// Reads NUL-separated requests (folder, argument count, arguments); starts each in a job of
// its own (`set -m`: its own process group), which writes pid, out, err and code like the
// spool's wrapper, then names its folder on stdout.
const DISPATCHER = `set -m
trap '' PIPE
while IFS= read -r -d '' dir && IFS= read -r -d '' n; do
  args=()
  for ((k = 0; k < n; k++)); do IFS= read -r -d '' a; args+=("$a"); done
  { echo $BASHPID >"$dir/pid"; ("\${args[@]}") >"$dir/out" 2>"$dir/err" </dev/null
    echo $? >"$dir/code"; printf '%s\\n' "$dir"; } &
done
`;

function dispatcher(): (dir: string, argv: string[]) => Promise<void> {
  const child = new Deno.Command("bash", {
    args: ["-c", DISPATCHER],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  // The dispatcher's own CPU and its jobs' (each job reaps its command).
  extraCpuMs = () => childrenCpuMs(child.pid, true);
  const writer = child.stdin.getWriter();
  const waiting = new Map<string, () => void>();
  (async () => {
    let buffered = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += text;
      for (let end; (end = buffered.indexOf("\n")) >= 0; buffered = buffered.slice(end + 1)) {
        waiting.get(buffered.slice(0, end))?.();
      }
    }
  })();
  const encoder = new TextEncoder();
  return async (dir, argv) => {
    const ended = new Promise<void>((resolve) => waiting.set(dir, resolve));
    await writer.write(encoder.encode([dir, String(argv.length), ...argv].join("\0") + "\0"));
    await ended;
    waiting.delete(dir);
  };
}

console.log(`${count} × echo x, ${concurrency} at once, on ${navigator.hardwareConcurrency} cores`);
await measure("plain", async () => {
  await new Deno.Command("echo", { args: ["x"], stdout: "piped", stdin: "null" }).output();
});
await measure("setsid", async () => {
  const out = await new Deno.Command("setsid", { args: ["echo", "x"], stdin: "null" }).output();
  if (!out.success) throw new Error("setsid echo failed");
});
await measure("spool", async (i) => {
  const dir = `${folder}/spool-${i}`;
  Deno.mkdirSync(dir);
  await new Deno.Command("setsid", {
    args: ["sh", "-c", SPOOL_SCRIPT, dir, "echo", "x"],
    stdin: "null",
  }).output();
  collect(dir);
});
const send = dispatcher();
await measure("dispatcher", async (i) => {
  const dir = `${folder}/dispatched-${i}`;
  Deno.mkdirSync(dir);
  await send(dir, ["echo", "x"]);
  collect(dir);
});
await Deno.remove(folder, { recursive: true });
Deno.exit(0); // The dispatcher's pipe would keep the process alive.
