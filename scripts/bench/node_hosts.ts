/**
 * Starts and stops {@linkcode ./node_host.ts} processes: many Steward nodes spread over a few
 * processes, as in a fleet where each process is its own agent.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { UNSTABLE_FLAGS, V8_FLAGS } from "../../src/permissions.ts";
import { FLEET_KEYS_ENV, fleetKeysFolder } from "../../test/pki.ts";

const HOST = fileURLToPath(new URL("./node_host.ts", import.meta.url));

/** A running group of host processes. */
export interface NodeHosts {
  /** Every node name hosted. */
  names: string[];
  /** Closes the hosts' standard input and waits until they have stopped their nodes. */
  stop(): Promise<void>;
}

/**
 * Starts `names.length` nodes of the fleet whose central is `central`, spread round-robin over
 * `processes` host processes on `broker`, with their folders under `dir`; resolves once all are
 * ready. With `profileDir`, each host writes a V8 CPU profile there when it stops.
 *
 * @example
 * ```ts ignore
 * import { startNodeHosts } from "./node_hosts.ts";
 * const hosts = await startNodeHosts(["ship1", "ship2"], 2, "127.0.0.1:4222", "/tmp/b", "central");
 * await hosts.stop();
 * ```
 */
export async function startNodeHosts(
  names: string[],
  processes: number,
  broker: string,
  dir: string,
  central: string,
  options: { helloSeconds?: number; profileDir?: string } = {},
): Promise<NodeHosts> {
  const keysFolder = await fleetKeysFolder();
  const groups: string[][] = Array.from({ length: processes }, () => []);
  names.forEach((n, i) => groups[i % processes].push(n));
  const children = groups.filter((g) => g.length > 0).map((group) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...UNSTABLE_FLAGS,
        ...V8_FLAGS,
        ...(options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : []),
        HOST,
        broker,
        dir,
        central,
        ...group,
      ],
      // The hosts' nodes use the keys the benchmark's central trusts.
      env: {
        [FLEET_KEYS_ENV]: keysFolder,
        ...(options.helloSeconds ? { STEWARD_BENCH_HELLO: String(options.helloSeconds) } : {}),
      },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn()
  );
  await Promise.all(children.map(async (child) => {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`a node host exited before it was ready:\n${out}`);
      out += value;
    }
    reader.releaseLock();
  }));
  return {
    names,
    async stop() {
      await Promise.all(children.map(async (child) => {
        await child.stdin.close();
        await child.stdout.cancel().catch(() => {});
        await child.status;
      }));
    },
  };
}
