/**
 * The operator's command workload through real agent processes (issue 15): 1000
 * `REQCliCommand ["echo","x"]` as one JSON array into central's socket until the 1000th reply
 * line is in central's file, the same spawns done directly in this process (the spawn floor),
 * single commands through the socket, and both agents' peak memory.
 *
 * @module
 */
import { maxConcurrentMethods } from "../../src/node/executor.ts";
import { SPOOL_SCRIPT } from "../../src/methods/command_spool.ts";
import { AgentProcess, cpuOf, type Memory } from "./agent_process.ts";
import { LineCounter } from "./line_counter.ts";
import { writeToSocket } from "./socket_client.ts";

/** Where central appends the replies: `<data>/cli1000/ship1/echo.log`. */
const DIRECTORY = "cli1000";
const FILE_NAME = "echo.log";

/**
 * `count` `REQCliCommand ["echo","x"]` messages to `toNode` as one JSON array, each reply
 * appended to the same file on the sender.
 *
 * @example
 * ```ts
 * import { commandArray } from "./cli_workload.ts";
 * const [m] = JSON.parse(commandArray("ship1", 1));
 * console.assert(m.method === "REQCliCommand" && m.methodArgs.join(" ") === "echo x");
 * ```
 */
export function commandArray(toNode: string, count: number): string {
  const message = {
    toNode,
    method: "REQCliCommand",
    methodArgs: ["echo", "x"],
    replyMethod: "REQToFileAppend",
    directory: DIRECTORY,
    fileName: FILE_NAME,
    methodTimeout: 60,
    ACKTimeout: 30,
    retries: 3,
  };
  return JSON.stringify(Array.from({ length: count }, () => message));
}

/**
 * How many commands the agent runs at once, from its written-back configuration: its
 * `-maxConcurrentMethods` as the agent sizes it (0 = sized to the machine, see
 * {@link maxConcurrentMethods}) when it has that setting, else all `count` at once; at most
 * `count` either way.
 *
 * @example
 * ```ts
 * import { agentConcurrency } from "./cli_workload.ts";
 * console.assert(agentConcurrency({}, 1000) === 1000);
 * console.assert(agentConcurrency({ maxConcurrentMethods: 8 }, 1000) === 8);
 * console.assert(agentConcurrency({ maxConcurrentMethods: 0 }, 1000, 2) === 16);
 * ```
 */
export function agentConcurrency(
  config: Record<string, unknown>,
  count: number,
  cores: number = navigator.hardwareConcurrency,
): number {
  const limit = config.maxConcurrentMethods;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0) return count;
  return Math.min(maxConcurrentMethods(limit, cores), count);
}

/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` running at once, in order of
 * i; resolves when all are done and never holds more than `concurrency` promises.
 *
 * @example
 * ```ts
 * import { runBounded } from "./cli_workload.ts";
 * let running = 0, peak = 0;
 * await runBounded(10, 3, async () => {
 *   peak = Math.max(peak, ++running);
 *   await Promise.resolve();
 *   running--;
 * });
 * console.assert(peak === 3);
 * ```
 */
export async function runBounded(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  const workers = Math.max(1, Math.min(concurrency, count));
  await Promise.all(Array.from({ length: workers }, worker));
}

/**
 * The spawn floor: `count` `new Deno.Command("echo", { args: ["x"] }).output()` in this
 * process, at most `concurrency` at once; returns the seconds they took. With `leader` (the
 * agent's `setsid`), each `echo` is started through it, as the agent starts a command so that it
 * leads its own process group: the floor of commands that a timeout can kill with all they
 * started. With `spool` too (a folder), each goes through the command spool's wrapper as well
 * (`setsid sh -c SPOOL_SCRIPT <folder>/<n> echo x`, its output and exit status read back from
 * the files): the spawns a spooled command costs the agent, three executables each.
 *
 * @example
 * ```ts
 * import { spawnFloor } from "./cli_workload.ts";
 * console.assert(await spawnFloor(2, 2) > 0);
 * ```
 */
export async function spawnFloor(
  count: number,
  concurrency: number,
  leader?: string,
  spool?: string,
): Promise<number> {
  let n = 0;
  const argv = (): string[] => {
    if (!leader) return ["echo", "x"];
    if (!spool) return [leader, "echo", "x"];
    const folder = `${spool}/${n++}`;
    Deno.mkdirSync(folder, { recursive: true });
    return [leader, "sh", "-c", SPOOL_SCRIPT, folder, "echo", "x"];
  };
  const t0 = performance.now();
  await runBounded(count, concurrency, async () => {
    const [command, ...args] = argv();
    const out = await new Deno.Command(command, { args, stdin: "null" }).output();
    if (!out.success) throw new Error("spawn floor: echo failed");
    if (spool) {
      const folder = args[3];
      if (Deno.readTextFileSync(`${folder}/code`) !== "0\n") throw new Error("spool: no code");
      Deno.readTextFileSync(`${folder}/out`);
      Deno.removeSync(folder, { recursive: true });
    }
  });
  return (performance.now() - t0) / 1000;
}

/** Agents `central` and `ship1` with central's command reply file followed. */
export interface CommandPair {
  central: AgentProcess;
  ship: AgentProcess;
  replies: LineCounter;
  /** Commands ship1 runs at once (see {@link agentConcurrency}). */
  concurrency: number;
  stop(): Promise<void>;
}

/**
 * Starts fresh agents `central` and `ship1` (signatures required, keys pre-seeded) and reads
 * ship1's concurrency setting. `denoFlags` go to both `deno run` commands (e.g. `--cpu-prof`),
 * `shipFlags` to ship1 (e.g. `-commandSpool=false`).
 *
 * @example
 * ```ts ignore
 * import { startCommandPair } from "./cli_workload.ts";
 * const pair = await startCommandPair("127.0.0.1:4222", 1000);
 * await pair.stop();
 * ```
 */
export async function startCommandPair(
  broker: string,
  count: number,
  denoFlags: string[] = [],
  shipFlags: string[] = [],
): Promise<CommandPair> {
  const [central, ship] = await Promise.all([
    AgentProcess.start("central", broker, { denoFlags }),
    AgentProcess.start("ship1", broker, { denoFlags, flags: shipFlags }),
  ]);
  const config = JSON.parse(await Deno.readTextFile(`${ship.dir}/etc/config.json`));
  const replies = new LineCounter(central.file(DIRECTORY, "ship1", FILE_NAME));
  return {
    central,
    ship,
    replies,
    concurrency: agentConcurrency(config, count),
    async stop() {
      replies.close();
      await Promise.all([central.destroy(), ship.destroy()]);
    },
  };
}

/** One run of the command workload as the operator sees it. */
export interface CommandRun {
  /** First byte written until the `count`-th reply line is in the file. */
  seconds: number;
  /** First byte written until the first reply line is in the file. */
  firstReplyMs: number;
  /** VmHWM of both agents after the run (since their start). */
  central: Memory;
  ship: Memory;
  /**
   * CPU per command during the run, in ms: central's, ship1's own, and that of the processes
   * ship1 started (the commands and their wrappers, counted as ship1 reaps them).
   */
  cpuPerCommand: { central: number; ship: number; commands: number };
}

/**
 * `count` commands as one JSON array into central's socket, timed from the first byte written
 * until the first and the `count`-th new reply line are in central's file.
 *
 * @example
 * ```ts ignore
 * import { commandRun } from "./cli_workload.ts";
 * const run = await commandRun(pair, 1000);
 * ```
 */
export async function commandRun(pair: CommandPair, count: number): Promise<CommandRun> {
  const before = await pair.replies.poll();
  const cpu0 = [cpuOf(pair.central.pid), cpuOf(pair.ship.pid)];
  let t0 = 0;
  const answers = writeToSocket(pair.central.socket, commandArray("ship1", count), () => {
    t0 = performance.now();
  });
  const first = await pair.replies.waitFor(before + 1, { everyMs: 5, timeoutMs: 300_000 });
  const done = await pair.replies.waitFor(before + count, { everyMs: 20, timeoutMs: 300_000 });
  const rejected = (await answers).filter((a) => a.status !== "accepted");
  if (rejected.length > 0) throw new Error(`cli1000: ${rejected.length} rejected`);
  const [central, ship] = [cpuOf(pair.central.pid), cpuOf(pair.ship.pid)];
  return {
    cpuPerCommand: {
      central: (central.selfMs - cpu0[0].selfMs) / count,
      ship: (ship.selfMs - cpu0[1].selfMs) / count,
      commands: (ship.childrenMs - cpu0[1].childrenMs) / count,
    },
    seconds: (done - t0) / 1000,
    firstReplyMs: first - t0,
    central: await pair.central.memory(),
    ship: await pair.ship.memory(),
  };
}

/**
 * Single commands through the socket, one after the other: each timed from its first byte
 * until its reply line is in the file; returns each in milliseconds.
 *
 * @example
 * ```ts ignore
 * import { commandRoundTrips } from "./cli_workload.ts";
 * const ms = await commandRoundTrips(pair, 50);
 * ```
 */
export async function commandRoundTrips(pair: CommandPair, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const before = await pair.replies.poll();
    let t0 = 0;
    const answers = writeToSocket(pair.central.socket, commandArray("ship1", 1), () => {
      t0 = performance.now();
    });
    const done = await pair.replies.waitFor(before + 1, { everyMs: 20 });
    out.push(done - t0);
    await answers;
  }
  return out;
}
