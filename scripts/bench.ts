/**
 * `deno task bench [--quick] [--json] [--only=a,b] [--scale]`: measures Steward against raw NATS in one
 * run, on loopback, with a real nats-server. Sections: `raw`, `e2e`, `cli`, `fanout`,
 * `agent` (start-up and idle memory), `socket` (1000 pings socket-to-file, single round trips,
 * memory under load), `cli1000` (1000 `echo x` commands socket-to-file beside the spawn floor),
 * `recovery`, `copy` (a 1 GB copy beside raw NATS throughput), and only when asked for, `scale` (a fleet of 1000 nodes, 300 with `--quick`). Progress goes to stderr; the table (or, with `--json`, one
 * JSON object) to stdout.
 *
 * @module
 */
import { join } from "node:path";
import { Broker } from "../test/harness.ts";
import { FLEET_KEYS_ENV } from "../test/pki.ts";
import {
  recovery,
  socketPings,
  socketRoundTrips,
  startPingPair,
  startupAndIdle,
  sustainedLoad,
} from "./bench/agent_sections.ts";
import { scaleSection } from "./bench/scale.ts";
import { copySection } from "./bench/copy_section.ts";
import {
  commandRoundTrips,
  commandRun,
  spawnFloor,
  startCommandPair,
} from "./bench/cli_workload.ts";
import { endToEnd } from "./bench/end_to_end.ts";
import { sessionLeader } from "../src/methods/command_environment.ts";
import { fanOut } from "./bench/fan_out.ts";
import { startLocalNode } from "./bench/local_nodes.ts";
import { startNodeHosts } from "./bench/node_hosts.ts";
import { rawRequestReply } from "./bench/raw_nats.ts";
import { signatureBounds, signatureCost } from "./bench/signature_cost.ts";
import { median, quantile } from "./bench/stats.ts";
import { checkTargets } from "./bench/targets.ts";
import { printReport } from "./bench/report.ts";

const args = new Set(Deno.args.filter((a) => !a.startsWith("--only=")));
const quick = args.has("--quick");
const json = args.has("--json");
const onlyArg = Deno.args.find((a) => a.startsWith("--only="));
const only = onlyArg ? new Set(onlyArg.slice("--only=".length).split(",")) : undefined;
const run = (section: string) => !only || only.has(section);

/** How much each section sends: the full run, or a quick one that fits in a minute. */
const SIZES = quick
  ? {
    rawSeq: 500,
    rawBurst: 2000,
    seq: 300,
    burst: 1000,
    cliSeq: 20,
    cliBurst: 50,
    fanoutRuns: 3,
    starts: 3,
    socketRuns: 1,
    rtt: 30,
    cliRuns: 1,
    load: 5000,
    recovery: 2000,
  }
  : {
    rawSeq: 2000,
    rawBurst: 10_000,
    seq: 1000,
    burst: 5000,
    cliSeq: 100,
    cliBurst: 300,
    fanoutRuns: 5,
    starts: 5,
    socketRuns: 3,
    rtt: 100,
    cliRuns: 3,
    load: 100_000,
    recovery: 10_000,
  };

const log = (line: string) => console.error(`[bench ${new Date().toISOString()}] ${line}`);
const r: Record<string, number | boolean | string> = { quick };

const broker = await Broker.start();
const dir = await Deno.makeTempDir({ prefix: "steward-bench-" });
// The fleet's pre-seeded keys (signatures are required), removed with the rest of `dir`.
Deno.env.set(FLEET_KEYS_ENV, join(dir, "keys"));
try {
  if (run("raw") || run("e2e")) {
    log("raw NATS request/reply");
    const raw = await rawRequestReply(broker.address, {
      sequential: SIZES.rawSeq,
      burst: SIZES.rawBurst,
    });
    Object.assign(r, {
      raw_seq_rps: raw.sequential.rps,
      raw_p50_ms: raw.sequential.p50Ms,
      raw_p99_ms: raw.sequential.p99Ms,
      raw_rps: raw.burst.rps,
      raw_burst_p50_ms: raw.burst.p50Ms,
      raw_burst_p99_ms: raw.burst.p99Ms,
      raw_burst_n: raw.burst.count,
    });
    log("signing and verifying a ping and an ACK, as every message and ACK is (issue 7)");
    const cost = await signatureCost(join(dir, "signature-cost"), quick ? 300 : 2000);
    const bounds = signatureBounds(cost, raw.burst.rps, raw.sequential.p50Ms);
    Object.assign(r, {
      sign_us: cost.signUs,
      verify_us: cost.verifyUs,
      ack_sign_us: cost.ackSignUs,
      ack_verify_us: cost.ackVerifyUs,
      ratio_rps_bound: bounds.ratioRpsBound,
      ratio_rps_bound_signed_acks: bounds.ratioRpsBoundSignedAcks,
      p50_ratio_floor: bounds.p50RatioFloor,
    });
  }

  if (run("e2e") || run("cli")) {
    const central = await startLocalNode("central", broker.address, dir);
    const ship = await startLocalNode("ship1", broker.address, dir);
    try {
      if (run("e2e")) {
        log("Steward REQPing central→ship1→central, in process");
        const e2e = await endToEnd(central, "ship1", {
          message: { method: "REQPing" },
          sequential: SIZES.seq,
          burst: SIZES.burst,
        });
        Object.assign(r, {
          e2e_seq_rps: e2e.sequential.rps,
          e2e_p50_ms: e2e.sequential.p50Ms,
          e2e_p99_ms: e2e.sequential.p99Ms,
          e2e_rps: e2e.burst.rps,
          e2e_burst_p50_ms: e2e.burst.p50Ms,
          e2e_burst_p99_ms: e2e.burst.p99Ms,
          e2e_burst_n: e2e.burst.count,
        });
      }
      if (run("cli")) {
        log("Steward REQCliCommand `echo hi`, in process");
        const cli = await endToEnd(central, "ship1", {
          message: { method: "REQCliCommand", methodArgs: ["echo", "hi"], fileName: "cli.out" },
          sequential: SIZES.cliSeq,
          burst: SIZES.cliBurst,
          warmup: 5,
        });
        Object.assign(r, {
          cli_seq_rps: cli.sequential.rps,
          cli_p50_ms: cli.sequential.p50Ms,
          cli_p99_ms: cli.sequential.p99Ms,
          cli_rps: cli.burst.rps,
          cli_burst_n: cli.burst.count,
        });
      }
    } finally {
      await Promise.all([central.stop(), ship.stop()]);
    }
  }

  // Minutes and a few GB: only when asked for (--scale, or --only=scale).
  if (args.has("--scale") || only?.has("scale")) {
    const nodes = quick ? 300 : 1000;
    log(`scale: ${nodes} nodes in 8 host processes, one central`);
    Object.assign(
      r,
      await scaleSection(broker.address, dir, {
        nodes,
        hosts: 8,
        helloSeconds: 30,
        steadySeconds: quick ? 30 : 60,
        runs: SIZES.fanoutRuns,
        log,
      }),
    );
  }

  if (run("fanout")) {
    log("fan-out: starting 100 nodes in 4 host processes");
    const names = Array.from({ length: 100 }, (_, i) => `fan${String(i + 1).padStart(3, "0")}`);
    const hosts = await startNodeHosts(names, 4, broker.address, dir, "fancentral");
    const central = await startLocalNode("fancentral", broker.address, dir, "fancentral");
    try {
      log("fan-out to 10 and to 100 nodes");
      const f10 = await fanOut(central, names.slice(0, 10), SIZES.fanoutRuns);
      const f100 = await fanOut(central, names, SIZES.fanoutRuns);
      Object.assign(r, {
        fanout10_first_s: f10.firstSeconds,
        fanout10_s: median(f10.seconds),
        fanout100_first_s: f100.firstSeconds,
        fanout100_s: median(f100.seconds),
        fanout100_max_s: Math.max(f100.firstSeconds, ...f100.seconds),
      });
    } finally {
      await central.stop();
      await hosts.stop();
    }
  }

  if (run("agent")) {
    log("agent start-up and idle memory");
    const s = await startupAndIdle(broker.address, SIZES.starts, 2000);
    Object.assign(r, {
      startup_ms: median(s.startupMs),
      startup_max_ms: Math.max(...s.startupMs),
      idle_rss_mb: s.idle.rssMb,
    });
  }

  if (run("socket")) {
    log("operator's view: 1000 REQPing into central's socket");
    const pair = await startPingPair(broker.address);
    try {
      const runs: number[] = [];
      // The peak during the (first) 1000-ping run on fresh agents, as the target is stated.
      runs.push(await socketPings(pair, 1000));
      const [c1, s1] = [await pair.central.memory(), await pair.ship.memory()];
      for (let i = 1; i < SIZES.socketRuns; i++) runs.push(await socketPings(pair, 1000));
      const [c, s] = [await pair.central.memory(), await pair.ship.memory()];
      log("single round trips through the socket");
      const rtt = await socketRoundTrips(pair, SIZES.rtt);
      Object.assign(r, {
        socket1000_first_s: runs[0],
        socket1000_s: median(runs),
        peak_rss_mb: Math.max(c1.peakMb, s1.peakMb),
        peak_rss_all_runs_mb: Math.max(c.peakMb, s.peakMb),
        socket_rtt_p50_ms: quantile(rtt, 0.5),
        socket_rtt_p99_ms: quantile(rtt, 0.99),
      });
      log(`sustained load: ${SIZES.load} pings`);
      const load = await sustainedLoad(pair, SIZES.load, 1000);
      Object.assign(r, {
        load_messages: SIZES.load,
        load_rps: load.rps,
        load_rss_mb: Math.max(load.central.rssMb, load.ship.rssMb),
        load_peak_rss_mb: Math.max(load.central.peakMb, load.ship.peakMb),
      });
    } finally {
      await pair.stop();
    }
  }

  if (run("cli1000")) {
    log("operator's command workload: 1000 REQCliCommand echo x into central's socket");
    const pair = await startCommandPair(broker.address, 1000);
    try {
      const runs = [];
      const floors: number[] = [];
      const groupFloors: number[] = [];
      const spoolFloors: number[] = [];
      const setsid = await sessionLeader();
      const spool = await Deno.makeTempDir({ prefix: "steward-bench-spool-" });
      for (let i = 0; i < SIZES.cliRuns; i++) {
        runs.push(await commandRun(pair, 1000));
        // The same spawns in this process at the agent's concurrency, right after each run.
        floors.push(await spawnFloor(1000, pair.concurrency));
        if (setsid) groupFloors.push(await spawnFloor(1000, pair.concurrency, setsid));
        if (setsid) spoolFloors.push(await spawnFloor(1000, pair.concurrency, setsid, spool));
      }
      await Deno.remove(spool, { recursive: true });
      log("single commands through the socket");
      const rtt = await commandRoundTrips(pair, 50);
      Object.assign(r, {
        cli1000_first_s: runs[0].seconds,
        cli1000_s: median(runs.map((x) => x.seconds)),
        cli_first_reply_ms: median(runs.map((x) => x.firstReplyMs)),
        spawn_floor_s: median(floors),
        ...(groupFloors.length ? { group_spawn_floor_s: median(groupFloors) } : {}),
        ...(spoolFloors.length ? { spool_spawn_floor_s: median(spoolFloors) } : {}),
        cli1000_concurrency: pair.concurrency,
        // CPU per command (ms), median over the runs: where the machine's two cores went.
        cli1000_cpu_central_ms: median(runs.map((x) => x.cpuPerCommand.central)),
        cli1000_cpu_ship1_ms: median(runs.map((x) => x.cpuPerCommand.ship)),
        cli1000_cpu_commands_ms: median(runs.map((x) => x.cpuPerCommand.commands)),
        // VmHWM after the first run on fresh agents: the peak of start-up and those 1000.
        cli1000_peak_rss_central_mb: runs[0].central.peakMb,
        cli1000_peak_rss_ship1_mb: runs[0].ship.peakMb,
        cli_rtt_p50_ms: quantile(rtt, 0.5),
        cli_rtt_p99_ms: quantile(rtt, 0.99),
      });
    } finally {
      await pair.stop();
    }
    log("the same 1000 with ship1 -commandSpool=false (output through pipes only)");
    const unspooled = await startCommandPair(broker.address, 1000, [], ["-commandSpool=false"]);
    try {
      const runs = [];
      for (let i = 0; i < SIZES.cliRuns; i++) runs.push(await commandRun(unspooled, 1000));
      Object.assign(r, { cli1000_unspooled_s: median(runs.map((x) => x.seconds)) });
    } finally {
      await unspooled.stop();
    }
  }

  if (run("copy")) {
    const bytes = quick ? 256 * 1024 ** 2 : 1024 ** 3;
    Object.assign(r, await copySection(broker.address, { bytes, log }));
  }

  if (run("recovery")) {
    log(`recovery: ${SIZES.recovery} persisted messages re-sent after a restart`);
    const rec = await recovery(broker.address, SIZES.recovery);
    Object.assign(r, {
      recovery_messages: rec.messages,
      recovery_ready_s: rec.readySeconds,
      recovery_s: rec.seconds,
    });
  }
} finally {
  await broker.stop();
  // STEWARD_BENCH_KEEP=1 keeps the agents' folders (audit logs, KV) to study a run.
  if (Deno.env.get("STEWARD_BENCH_KEEP")) log(`bench: folders kept in ${dir}`);
  else await Deno.remove(dir, { recursive: true }).catch(() => {});
}

const num = (k: string) => typeof r[k] === "number" ? r[k] as number : NaN;
// Reported beside its bounds, without a target (issue 15 withdrew it).
if ("e2e_rps" in r && "raw_rps" in r) {
  r.ratio_rps = num("e2e_rps") / num("raw_rps");
  r.ratio_p50 = num("e2e_p50_ms") / num("raw_p50_ms");
}
const targets = checkTargets({
  e2e_p50_ms: num("e2e_p50_ms"),
  raw_p50_ms: num("raw_p50_ms"),
  fanout100_s: num("fanout100_s"),
  socket1000_s: num("socket1000_s"),
  cli1000_s: num("cli1000_s"),
  spawn_floor_s: num("spawn_floor_s"),
  cli_first_reply_ms: num("cli_first_reply_ms"),
  cli_rtt_p50_ms: num("cli_rtt_p50_ms"),
  cli1000_peak_rss_mb: Math.max(
    num("cli1000_peak_rss_central_mb"),
    num("cli1000_peak_rss_ship1_mb"),
  ),
  socket_rtt_p50_ms: num("socket_rtt_p50_ms"),
  idle_rss_mb: num("idle_rss_mb"),
  peak_rss_mb: num("peak_rss_mb"),
  startup_ms: num("startup_ms"),
  p50_ratio_floor: num("p50_ratio_floor"),
  ...("scale_nodes" in r
    ? {
      scale: { nodes: num("scale_nodes"), ping_s: num("scale_ping_s"), cli_s: num("scale_cli_s") },
    }
    : {}),
});
if (json) {
  const rounded = Object.fromEntries(
    Object.entries(r).map(([k, v]) => [k, typeof v === "number" ? round(v) : v]),
  );
  console.log(JSON.stringify({ ...rounded, targets }));
} else {
  printReport(r, targets);
}

function round(v: number): number | null {
  if (!Number.isFinite(v)) return null;
  return Math.abs(v) >= 100 ? Math.round(v) : Number(v.toPrecision(4));
}
