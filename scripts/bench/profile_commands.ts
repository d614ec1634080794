/**
 * `deno run -A scripts/bench/profile_commands.ts [single|thousand] [out-folder]`: runs agents
 * `central` and `ship1` with `--cpu-prof` and either 50 single `echo x` commands through the
 * socket or one array of 1000, then prints where each agent's CPU went and, for the 1000, when
 * the reply lines arrived and how many commands ship1 had running over time. The profiles are
 * left in the out folder (open them in Chrome DevTools). With `STRACE=1` both agents also run
 * under `strace -f -tt` (durable writes, spawns, NATS traffic; slows every step).
 *
 * @module
 */
import { join } from "node:path";
import { Broker } from "../../test/harness.ts";
import { FLEET_KEYS_ENV } from "../../test/pki.ts";
import { commandArray, commandRoundTrips, startCommandPair } from "./cli_workload.ts";
import { type CpuProfile, selfTimes, shortUrl } from "./cpu_profile.ts";
import { writeToSocket } from "./socket_client.ts";
import { quantile } from "./stats.ts";

/** Syscalls of a command's path: durable writes, spawns, and the sockets' traffic. */
const TRACED =
  "fsync,fdatasync,pwrite64,execve,clone,clone3,vfork,wait4,writev,sendto,recvfrom,read,write";
const mode = Deno.args[0] ?? "single";
const out = Deno.args[1] ?? await Deno.makeTempDir({ prefix: "steward-profile-" });
await Deno.mkdir(out, { recursive: true });
const broker = await Broker.start();
const dir = await Deno.makeTempDir({ prefix: "steward-profile-run-" });
Deno.env.set(FLEET_KEYS_ENV, join(dir, "keys"));
const pair = await startCommandPair(broker.address, 1000, ["--cpu-prof", "--cpu-prof-dir=prof"]);
try {
  await commandRoundTrips(pair, 5); // warm-up
  // With STRACE=1 the commands run under `strace -f -tt` (syscall timelines in the out folder).
  const traces = Deno.env.get("STRACE")
    ? [pair.central, pair.ship].map((a) =>
      new Deno.Command("strace", {
        args: ["-f", "-tt", "-e", "trace=" + TRACED, "-o", join(out, `strace-${mode}-${a.name}`)]
          .concat(["-p", `${a.pid}`]),
        stderr: "null",
      }).spawn()
    )
    : [];
  if (traces.length) await new Promise((r) => setTimeout(r, 1000));
  if (mode === "single") {
    const ms = await commandRoundTrips(pair, 50);
    console.log(`single command p50 ${quantile(ms, 0.5).toFixed(1)} ms`);
  } else {
    await thousand();
  }
  for (const t of traces) {
    try {
      t.kill("SIGINT");
    } catch {
      // strace already gone (the agent exited).
    }
  }
  await Promise.all(traces.map((t) => t.status));
  await Promise.all([pair.central.stop(), pair.ship.stop()]);
  for (const agent of [pair.central, pair.ship]) {
    // One profile per thread (the agent's and its spawn worker's): the largest is the agent's.
    const files = [];
    for await (const f of Deno.readDir(join(agent.dir, "prof"))) {
      const info = await Deno.stat(join(agent.dir, "prof", f.name)).catch(() => undefined);
      if (info) files.push({ name: f.name, size: info.size });
    }
    files.sort((a, b) => b.size - a.size);
    for (const [i, f] of files.entries()) {
      const target = join(out, `${mode}-${agent.name}${i ? `-thread${i}` : ""}.cpuprofile`);
      await Deno.copyFile(join(agent.dir, "prof", f.name), target);
      summarize(
        `${agent.name}${i ? ` thread ${i}` : ""}`,
        JSON.parse(await Deno.readTextFile(target)),
      );
    }
  }
  console.log(`profiles in ${out}`);
} finally {
  await pair.stop();
  await broker.stop();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

/** One array of 1000; samples reply lines and ship1's running children every 5 ms. */
async function thousand() {
  const before = await pair.replies.poll();
  const t0 = performance.now();
  const answers = writeToSocket(pair.central.socket, commandArray("ship1", 1000));
  const samples: [ms: number, lines: number, children: number][] = [];
  while ((await pair.replies.poll()) < before + 1000) {
    samples.push([performance.now() - t0, pair.replies.lines - before, await children()]);
    await new Promise((r) => setTimeout(r, 5));
  }
  const acceptedMs = (await answers, performance.now() - t0);
  const at = (n: number) => samples.find(([, lines]) => lines >= n)?.[0] ?? performance.now() - t0;
  const peak = Math.max(...samples.map(([, , c]) => c));
  const firstSpawn = samples.find(([, , c]) => c > 0)?.[0];
  const lastSpawn = samples.findLast(([, , c]) => c > 0)?.[0];
  console.log(
    `1000 commands: all accepted by ${acceptedMs.toFixed(0)} ms; children of ship1 first seen ` +
      `${firstSpawn?.toFixed(0)} ms, last ${lastSpawn?.toFixed(0)} ms, at most ${peak} at once`,
  );
  console.log(
    `reply lines: 1st ${at(1).toFixed(0)} ms, 10th ${at(10).toFixed(0)}, 100th ${
      at(100).toFixed(0)
    }, 500th ${at(500).toFixed(0)}, 900th ${at(900).toFixed(0)}, 1000th ${
      (performance.now() - t0).toFixed(0)
    } ms`,
  );
  const step = Math.max(1, Math.floor(samples.length / 40));
  for (let i = 0; i < samples.length; i += step) {
    const [ms, lines, c] = samples[i];
    console.log(`  t=${ms.toFixed(0).padStart(6)} ms  replies ${lines}  running ${c}`);
  }
}

/** Number of live child processes of ship1. */
async function children(): Promise<number> {
  let n = 0;
  for await (const task of Deno.readDir(`/proc/${pair.ship.pid}/task`)) {
    const text = await Deno.readTextFile(`/proc/${pair.ship.pid}/task/${task.name}/children`)
      .catch(() => "");
    n += text.split(" ").filter((s) => s.trim() !== "").length;
  }
  return n;
}

function summarize(name: string, profile: CpuProfile) {
  const total = profile.timeDeltas.reduce((a, b) => a + b, 0) / 1000;
  const busy = selfTimes(profile).filter((s) => !/^\((idle|program)\)/.test(s.name));
  const busyMs = busy.reduce((a, s) => a + s.ms, 0);
  console.log(`\n${name}: ${total.toFixed(0)} ms profiled, ${busyMs.toFixed(0)} ms on JS/GC`);
  for (const s of busy.slice(0, 25)) console.log(`  ${s.ms.toFixed(1).padStart(8)} ms  ${s.name}`);
  const files = selfTimes(profile, (f) => f.url ? shortUrl(f.url) : f.functionName)
    .filter((s) => !/^\((idle|program)\)/.test(s.name));
  console.log(`  by file:`);
  for (const s of files.slice(0, 15)) console.log(`  ${s.ms.toFixed(1).padStart(8)} ms  ${s.name}`);
}
