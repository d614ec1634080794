/**
 * Real agent processes for the benchmark, started as `deno task agent` starts them. Unlike the
 * test harness, it notices "ready" the moment the line is printed (start-up is a figure here)
 * and exposes the process id to read its memory.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AGENT_ENTRY, agentDenoFlags } from "../../src/permissions.ts";
import { provision, trustFlags } from "../../test/pki.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Resident memory of a process, in MiB: now, and the highest since it started. */
export interface Memory {
  rssMb: number;
  peakMb: number;
}

/** How much of an agent's output is kept. */
const OUTPUT_KEPT = 64 * 1024;

/** CPU time of a process, in ms: its own, and that of its children it has reaped. */
export interface CpuTime {
  selfMs: number;
  childrenMs: number;
}

/**
 * Reads the CPU time of process `pid` from `/proc/<pid>/stat` (Linux; clock ticks of 10 ms).
 *
 * @example
 * ```ts
 * import { cpuOf } from "./agent_process.ts";
 * console.log(cpuOf(Deno.pid).selfMs >= 0);
 * ```
 */
export function cpuOf(pid: number): CpuTime {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name, which may hold spaces: utime is the 12th of them.
  const f = stat.slice(stat.lastIndexOf(") ") + 2).split(" ").map(Number);
  return { selfMs: (f[11] + f[12]) * 10, childrenMs: (f[13] + f[14]) * 10 };
}

/**
 * Reads VmRSS and VmHWM of process `pid` from /proc (Linux).
 *
 * @example
 * ```ts ignore
 * import { memoryOf } from "./agent_process.ts";
 * console.log(await memoryOf(Deno.pid));
 * ```
 */
export async function memoryOf(pid: number): Promise<Memory> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

/** One agent process and its folder. */
export class AgentProcess {
  readonly name: string;
  readonly dir: string;
  readonly flags: string[];
  /** Extra flags of `deno run` (e.g. `--cpu-prof`), before the agent's own. */
  readonly denoFlags: string[];
  /** Milliseconds from spawn to the "ready" line of the latest start. */
  readyMs = NaN;
  #child: Deno.ChildProcess | undefined;
  #output = "";

  private constructor(name: string, dir: string, flags: string[], denoFlags: string[]) {
    this.name = name;
    this.dir = dir;
    this.flags = flags;
    this.denoFlags = denoFlags;
  }

  /** Starts agent `name` on `broker` in a new temporary folder and waits until it is ready. */
  static async start(
    name: string,
    broker: string,
    options: { flags?: string[]; denoFlags?: string[]; wait?: boolean } = {},
  ): Promise<AgentProcess> {
    const dir = await Deno.makeTempDir({ prefix: `steward-bench-${name}-` });
    const agent = new AgentProcess(name, dir, [
      `-nodeName=${name}`,
      `-brokerAddress=${broker}`,
      `-socketFolder=${join(dir, "tmp")}`,
      `-databaseFolder=${join(dir, "var")}`,
      `-subscribersDataFolder=${join(dir, "data")}`,
      "-natsConnectRetryInterval=1",
      "-startPubREQHello=0",
      ...(options.flags ?? []),
    ], options.denoFlags ?? []);
    await agent.restart(options.wait ?? true);
    return agent;
  }

  /** The agent's unix socket. */
  get socket(): string {
    return join(this.dir, "tmp", "steward.sock");
  }

  /** Path of a reply file on this agent: `<data>/<directory>/<node>/<fileName>`. */
  file(directory: string, node: string, fileName: string): string {
    return join(this.dir, "data", directory, node, fileName);
  }

  /** The process id of the running agent. */
  get pid(): number {
    if (!this.#child) throw new Error(`agent ${this.name} is not running`);
    return this.#child.pid;
  }

  /** Current and peak resident memory of the agent. */
  memory(): Promise<Memory> {
    return memoryOf(this.pid);
  }

  /** Starts the agent (again, keeping its folder); waits for "ready" unless `wait` is false. */
  async restart(wait = true): Promise<void> {
    await Deno.remove(this.socket).catch(() => {});
    // Signatures are required: the fleet's keys are pre-seeded as the tests' are.
    const trust = trustFlags(await provision(this.name, join(this.dir, "etc"), "central"));
    const t0 = performance.now();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...agentDenoFlags(),
        ...this.denoFlags,
        join(ROOT, AGENT_ENTRY),
        ...this.flags,
        ...trust,
      ],
      cwd: this.dir,
      env: { CONFIG_FOLDER: join(this.dir, "etc"), NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#output = "";
    const marker = `steward ${this.name}: ready`;
    const ready = Promise.withResolvers<void>();
    let started = false;
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        // Only the last 64 KiB are kept (for the error of an agent that exits): the agents log a
        // line per message event, and searching all of it for each chunk made this process,
        // the benchmark's client, quadratically slower (a 4 ms round trip measured as 18 ms).
        this.#output = (this.#output + chunk).slice(-OUTPUT_KEPT);
        if (!started && this.#output.includes(marker)) {
          started = true;
          ready.resolve();
        }
      }
    };
    Promise.all([collect(child.stdout), collect(child.stderr)]).then(() =>
      ready.reject(new Error(`agent ${this.name} exited:\n${this.#output}`))
    );
    ready.promise.then(() => this.readyMs = performance.now() - t0, () => {});
    if (wait) await ready.promise;
  }

  /** Stops the agent with SIGTERM (SIGKILL after 5 s) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    clearTimeout(kill);
  }

  /** Stops the agent and removes its folder. */
  async destroy(): Promise<void> {
    await this.stop();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
