/**
 * The scale section (`deno task bench --only=scale`): a fleet of real nodes (each a `Node` with
 * its own key, KV and broker connection, packed several per host process, signatures required,
 * keys pre-seeded at central) and one central in the bench process, to see what one central
 * costs per node and per message.
 *
 * @module
 */
import process from "node:process";
import { fanOut } from "./fan_out.ts";
import { startLocalNode } from "./local_nodes.ts";
import { startNodeHosts } from "./node_hosts.ts";
import { median } from "./stats.ts";

/** What the scale section measured, under the keys `deno task bench --json` prints. */
export type ScaleFigures = Record<string, number>;

/** Options of {@linkcode scaleSection}. */
export interface ScaleOptions {
  /** Nodes in the fleet. */
  nodes: number;
  /** Host processes they are packed into. */
  hosts: number;
  /** Seconds between each node's hellos. */
  helloSeconds: number;
  /** How long the steady state is watched, in seconds. */
  steadySeconds: number;
  /** Fan-outs of each kind. */
  runs: number;
  log(line: string): void;
}

/**
 * Starts the fleet, fans a `REQPing` and a `REQCliCommand ["hostname"]` out to all of it, then
 * watches central through `steadySeconds` of hellos.
 *
 * @example
 * ```ts ignore
 * import { scaleSection } from "./scale.ts";
 * const figures = await scaleSection("127.0.0.1:4222", "/tmp/b", {
 *   nodes: 1000, hosts: 8, helloSeconds: 30, steadySeconds: 60, runs: 3, log: console.error,
 * });
 * ```
 */
export async function scaleSection(
  broker: string,
  dir: string,
  options: ScaleOptions,
): Promise<ScaleFigures> {
  const { nodes, log } = options;
  const names = Array.from({ length: nodes }, (_, i) => `scale${String(i + 1).padStart(5, "0")}`);
  const mb = () => Math.round(process.memoryUsage().rss / 2 ** 20);
  const started = performance.now();
  const central = await startLocalNode("scalecentral", broker, dir, "scalecentral");
  const rssEmpty = mb();
  const hosts = await startNodeHosts(names, options.hosts, broker, dir, "scalecentral", {
    helloSeconds: options.helloSeconds,
  });
  const upSeconds = (performance.now() - started) / 1000;
  log(`scale: ${nodes} nodes up in ${upSeconds.toFixed(1)} s`);
  try {
    log(`scale: REQPing to all ${nodes}`);
    const ping = await fanOut(central, names, options.runs);
    log(`scale: REQCliCommand hostname to all ${nodes}`);
    const cli = await fanOut(central, names, options.runs, {
      method: "REQCliCommand",
      methodArgs: ["hostname"],
      fileName: "hostname.txt",
      // A thousand nodes share this machine's two cores here: each spawn waits its turn.
      methodTimeout: 120,
    });
    log(`scale: ${options.steadySeconds} s of hellos every ${options.helloSeconds} s`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, options.steadySeconds * 1000));
    const cpu = process.cpuUsage(cpu0);
    const wallS = (performance.now() - t0) / 1000;
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const hellos = nodes * options.steadySeconds / options.helloSeconds;
    const kvBytes = await Deno.stat(`${dir}/scalecentral/var/steward.kv`).then((s) => s.size);
    return {
      scale_nodes: nodes,
      scale_up_s: upSeconds,
      scale_ping_first_s: ping.firstSeconds,
      scale_ping_s: median(ping.seconds),
      scale_cli_first_s: cli.firstSeconds,
      scale_cli_s: median(cli.seconds),
      // Central's own CPU per node reached in a fan-out (sign, send, verify ACK and reply, write
      // the reply file, ACK it): what one central core pays per node, whatever the nodes cost.
      scale_ping_central_cpu_ms: median(ping.cpuSeconds) * 1000 / nodes,
      scale_cli_central_cpu_ms: median(cli.cpuSeconds) * 1000 / nodes,
      scale_central_rss_empty_mb: rssEmpty,
      scale_central_rss_mb: mb(),
      scale_hello_seconds: options.helloSeconds,
      scale_hello_cpu_share: cpuS / wallS,
      // Central's CPU per hello handled (verify, KV, file write, ACK), from the steady state.
      scale_hello_cpu_ms: cpuS * 1000 / hellos,
      scale_central_kv_mb: kvBytes / 2 ** 20,
    };
  } finally {
    await central.stop();
    await hosts.stop();
  }
}
