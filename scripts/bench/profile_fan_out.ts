/**
 * Where a fan-out's CPU goes, at central and at the nodes: `deno run -A --unstable-kv
 * --cpu-prof --cpu-prof-dir=<dir> scripts/bench/profile_fan_out.ts <dir> [nodes] [hosts] [runs]`
 * starts a fleet (as the scale section does), makes its first contact with one ping to all,
 * waits `STEWARD_PROFILE_SETTLE` seconds (default 20), then fans `runs` pings out to all and
 * prints central's and the hosts' CPU per node reached. The hosts' profiles (and central's,
 * with `--cpu-prof`) land in `<dir>` (`-`: no profiles, only the CPU figures);
 * `scripts/bench/cpu_profile.ts` has the summariser.
 *
 * @module
 */
import process from "node:process";
import { Broker } from "../../test/harness.ts";
import { FLEET_KEYS_ENV } from "../../test/pki.ts";
import { fanOut } from "./fan_out.ts";
import { startLocalNode } from "./local_nodes.ts";
import { startNodeHosts } from "./node_hosts.ts";

const [profileDir, nodesArg = "300", hostsArg = "8", runsArg = "10"] = Deno.args;
if (!profileDir) throw new Error("usage: profile_fan_out.ts <profile dir> [nodes] [hosts] [runs]");
const nodes = Number(nodesArg);
const dir = await Deno.makeTempDir({ prefix: "steward-profile-" });
Deno.env.set(FLEET_KEYS_ENV, `${dir}/keys`);
const broker = await Broker.start();
const names = Array.from({ length: nodes }, (_, i) => `scale${String(i + 1).padStart(5, "0")}`);
const central = await startLocalNode("scalecentral", broker.address, dir, "scalecentral");
const hosts = await startNodeHosts(names, Number(hostsArg), broker.address, dir, "scalecentral", {
  profileDir: profileDir === "-" ? undefined : profileDir,
});
/** CPU seconds of every process whose command line names this run's folder (the hosts). */
async function hostsCpu(): Promise<number> {
  const ticks = Number(new TextDecoder().decode(
    (await new Deno.Command("getconf", { args: ["CLK_TCK"] }).output()).stdout,
  ));
  let total = 0;
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`);
      if (!cmd.includes(dir) || Number(e.name) === Deno.pid) continue;
      const stat = (await Deno.readTextFile(`/proc/${e.name}/stat`)).split(") ")[1].split(" ");
      total += (Number(stat[11]) + Number(stat[12])) / ticks;
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}
try {
  const first = await fanOut(central, names, 1);
  console.error(`first contact: ${first.firstSeconds.toFixed(2)} s`);
  await new Promise((r) =>
    setTimeout(r, Number(Deno.env.get("STEWARD_PROFILE_SETTLE") ?? 20) * 1e3)
  );
  const cpu0 = process.cpuUsage();
  const hosts0 = await hostsCpu();
  const runs = await fanOut(central, names, Number(runsArg) + 1);
  const cpu = process.cpuUsage(cpu0);
  const hostsS = await hostsCpu() - hosts0;
  const fanOuts = Number(runsArg) + 1;
  console.error(
    `fan-outs: ${runs.seconds.map((s) => s.toFixed(2)).join(" ")} s; per node reached: ` +
      `central ${((cpu.user + cpu.system) / 1e3 / fanOuts / nodes).toFixed(3)} ms CPU, ` +
      `nodes ${(hostsS * 1e3 / fanOuts / nodes).toFixed(3)} ms CPU`,
  );
} finally {
  await central.stop();
  await hosts.stop();
  await broker.stop();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
