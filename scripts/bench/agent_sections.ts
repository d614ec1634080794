/**
 * Benchmark sections that run real agent processes: start-up and idle memory, the operator's
 * 1000 pings through the socket, memory under sustained load, and recovery after a restart.
 *
 * @module
 */
import { AgentProcess, type Memory } from "./agent_process.ts";
import { LineCounter } from "./line_counter.ts";
import { pingArray, writeToSocket } from "./socket_client.ts";

/** Start-up time and idle memory of fresh agents. */
export interface StartupResult {
  startupMs: number[];
  idle: Memory;
}

/**
 * Starts `starts` fresh agents one after the other (after one uncounted start that warms
 * Deno's caches), timing spawn to "ready"; the last one is left idle for `idleMs` and its
 * memory read.
 *
 * @example
 * ```ts ignore
 * import { startupAndIdle } from "./agent_sections.ts";
 * const r = await startupAndIdle("127.0.0.1:4222", 3, 2000);
 * ```
 */
export async function startupAndIdle(
  broker: string,
  starts: number,
  idleMs: number,
): Promise<StartupResult> {
  await (await AgentProcess.start("warmup", broker)).destroy();
  const startupMs: number[] = [];
  let idle: Memory = { rssMb: NaN, peakMb: NaN };
  for (let i = 0; i < starts; i++) {
    const agent = await AgentProcess.start(`idle${i}`, broker);
    startupMs.push(agent.readyMs);
    if (i === starts - 1) {
      await new Promise((r) => setTimeout(r, idleMs));
      idle = await agent.memory();
    }
    await agent.destroy();
  }
  return { startupMs, idle };
}

/** A central and a node as agent processes, with central's pong file followed. */
export interface PingPair {
  central: AgentProcess;
  ship: AgentProcess;
  pongs: LineCounter;
  stop(): Promise<void>;
}

/**
 * Starts agents `central` and `ship1` on `broker`.
 *
 * @example
 * ```ts ignore
 * import { startPingPair } from "./agent_sections.ts";
 * const pair = await startPingPair("127.0.0.1:4222");
 * await pair.stop();
 * ```
 */
export async function startPingPair(broker: string): Promise<PingPair> {
  const [central, ship] = await Promise.all([
    AgentProcess.start("central", broker),
    AgentProcess.start("ship1", broker),
  ]);
  const pongs = new LineCounter(central.file("ping", "ship1", "pong.log"));
  return {
    central,
    ship,
    pongs,
    async stop() {
      pongs.close();
      await Promise.all([central.destroy(), ship.destroy()]);
    },
  };
}

/**
 * The operator's view: `count` REQPing as one JSON array into central's socket, timed from the
 * first byte written until the `count`-th new pong line is in central's reply file.
 *
 * @example
 * ```ts ignore
 * import { socketPings } from "./agent_sections.ts";
 * const seconds = await socketPings(pair, 1000);
 * ```
 */
export async function socketPings(pair: PingPair, count: number): Promise<number> {
  const before = await pair.pongs.poll();
  let t0 = 0;
  const answers = writeToSocket(pair.central.socket, pingArray("ship1", count), () => {
    t0 = performance.now();
  });
  const done = await pair.pongs.waitFor(before + count, { everyMs: 20 });
  const rejected = (await answers).filter((a) => a.status !== "accepted");
  if (rejected.length > 0) throw new Error(`socket: ${rejected.length} rejected`);
  return (done - t0) / 1000;
}

/**
 * Sends `count` pings through central's socket in arrays of `batch`, waits for every pong, and
 * returns the rate and both agents' memory afterwards.
 *
 * @example
 * ```ts ignore
 * import { sustainedLoad } from "./agent_sections.ts";
 * const r = await sustainedLoad(pair, 100_000, 1000);
 * ```
 */
export async function sustainedLoad(
  pair: PingPair,
  count: number,
  batch: number,
): Promise<{ rps: number; central: Memory; ship: Memory }> {
  const before = await pair.pongs.poll();
  const t0 = performance.now();
  // Each array waits only for "accepted" (durable), not for its pongs: the agent's own
  // back-pressure sets the pace.
  for (let sent = 0; sent < count; sent += batch) {
    const n = Math.min(batch, count - sent);
    const answers = await writeToSocket(pair.central.socket, pingArray("ship1", n));
    if (answers.some((a) => a.status !== "accepted")) throw new Error("load: rejected");
  }
  const done = await pair.pongs.waitFor(before + count, { everyMs: 20, timeoutMs: 600_000 });
  return {
    rps: count / ((done - t0) / 1000),
    central: await pair.central.memory(),
    ship: await pair.ship.memory(),
  };
}

/**
 * Single round trips as an operator sees them: one ping into central's socket, timed until its
 * pong line is in the file, `count` times one after the other; returns each in milliseconds.
 *
 * @example
 * ```ts ignore
 * import { socketRoundTrips } from "./agent_sections.ts";
 * const ms = await socketRoundTrips(pair, 50);
 * ```
 */
export async function socketRoundTrips(pair: PingPair, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const before = await pair.pongs.poll();
    let t0 = 0;
    const answers = writeToSocket(pair.central.socket, pingArray("ship1", 1), () => {
      t0 = performance.now();
    });
    const done = await pair.pongs.waitFor(before + 1, { everyMs: 20 });
    out.push(done - t0);
    await answers;
  }
  return out;
}

/** Timings of a central restarting with persisted messages to re-send. */
export interface RecoveryResult {
  messages: number;
  /** Restart (spawn) to "ready". */
  readySeconds: number;
  /** Restart (spawn) until every persisted message's reply is in the file. */
  seconds: number;
}

/**
 * Persists `count` pings at a central whose node is down, stops central (SIGTERM), starts the
 * node, then times central's restart until every pong is in its reply file.
 *
 * @example
 * ```ts ignore
 * import { recovery } from "./agent_sections.ts";
 * const r = await recovery("127.0.0.1:4222", 10_000);
 * ```
 */
export async function recovery(broker: string, count: number): Promise<RecoveryResult> {
  const central = await AgentProcess.start("central", broker);
  let ship: AgentProcess | undefined;
  const pongs = new LineCounter(central.file("ping", "ship1", "pong.log"));
  try {
    // Long ACK timeouts: while ship1 is down every message stays persisted, waiting to retry.
    const extra = { ACKTimeout: 60, retries: 5 };
    for (let sent = 0; sent < count; sent += 1000) {
      const n = Math.min(1000, count - sent);
      const answers = await writeToSocket(central.socket, pingArray("ship1", n, extra));
      if (answers.some((a) => a.status !== "accepted")) throw new Error("recovery: rejected");
    }
    await central.stop();
    ship = await AgentProcess.start("ship1", broker);
    const t0 = performance.now();
    await central.restart(false);
    const done = await pongs.waitFor(count, { everyMs: 5, timeoutMs: 300_000 });
    return { messages: count, readySeconds: central.readyMs / 1000, seconds: (done - t0) / 1000 };
  } finally {
    pongs.close();
    await Promise.all([central.destroy(), ship?.destroy()]);
  }
}
