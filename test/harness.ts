/**
 * Real parts for end-to-end tests: nats-server brokers on free loopback ports and agent
 * processes started exactly as `deno task agent` starts them.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AGENT_ENTRY, agentDenoFlags, sandboxInputFor } from "../src/permissions.ts";
import { provision, trustFlags } from "./pki.ts";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/**
 * Returns a TCP port that is free on 127.0.0.1 right now, below Linux's ephemeral range
 * (32768–60999): a port the OS hands out for port 0 can be taken by any outgoing connection (a
 * NATS client's, say) before the broker or listener that was given it binds it.
 */
export function freePort(): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      // In use: try another.
    }
  }
  throw new Error("no free port found between 20000 and 32000");
}

/** Polls `check` until it returns a truthy value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await delay(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Reads a file, or returns "" when it does not exist yet. */
export async function readOr(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

async function portOpen(port: number): Promise<boolean> {
  try {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    c.close();
    return true;
  } catch {
    return false;
  }
}

/** A nats-server process on loopback. */
export class Broker {
  readonly port: number;
  readonly extraArgs: string[];
  #child: Deno.ChildProcess | undefined;

  private constructor(port: number, extraArgs: string[]) {
    this.port = port;
    this.extraArgs = extraArgs;
  }

  /** `127.0.0.1:<port>`, as given to `-brokerAddress`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts a broker on a free port (or `port`) and waits until it accepts connections. */
  static async start(options: { port?: number; args?: string[] } = {}): Promise<Broker> {
    const b = new Broker(options.port ?? freePort(), options.args ?? []);
    await b.restart();
    return b;
  }

  /** Starts the broker again on the same port. */
  async restart(): Promise<void> {
    this.#child = new Deno.Command("nats-server", {
      args: ["-a", "127.0.0.1", "-p", String(this.port), ...this.extraArgs],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitFor(() => portOpen(this.port), 10_000, `nats-server on ${this.port}`);
  }

  /** Stops the broker and waits for it to exit. */
  async stop(): Promise<void> {
    if (!this.#child) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#child.status;
    this.#child = undefined;
  }
}

/** One answer of an agent's input. */
export interface Answer {
  status: "accepted" | "rejected";
  index?: number;
  id?: string;
  toNode?: string;
  method?: string;
  error?: string;
  /** Sent before with the same idempotency key: the first message's id. */
  duplicate?: true;
}

/**
 * Writes `payload` to a unix socket as `nc -U` does, and returns the answer lines read until
 * the agent closes the connection.
 */
export async function sendToSocket(path: string, payload: string | Uint8Array): Promise<Answer[]> {
  const conn = await Deno.connect({ transport: "unix", path });
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const reading = new Response(conn.readable).text();
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  await conn.closeWrite();
  const text = await reading;
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

/** Options of {@linkcode Agent.start}. */
export interface AgentOptions {
  /** Working folder of the agent (default: a new temporary folder). */
  dir?: string;
  /** Broker address(es) for `-brokerAddress`. */
  broker: string;
  /** More flags, e.g. `["-startPubREQHello=1"]`. */
  flags?: string[];
  /** Wait for "ready" (broker reached) or only for the socket (default "ready"). */
  wait?: "ready" | "socket" | "none";
  centralNodeName?: string;
  /**
   * Run with the narrow Deno permissions derived from its config and ACL, as `deno task agent`
   * does (default true); false gives the broad permissions of `STEWARD_NO_SANDBOX=1`.
   */
  sandbox?: boolean;
  /**
   * Give the agent the test fleet's keys (see test/pki.ts) so that signed messages flow without
   * an approval step (default true). Tests of key approval itself turn it off.
   */
  provision?: boolean;
  /** More environment variables of the agent process (e.g. a fake secret a test looks for). */
  env?: Record<string, string>;
}

/** An agent process started with the agent's real Deno flags, in its own folder. */
export class Agent {
  readonly name: string;
  readonly dir: string;
  readonly options: AgentOptions;
  /** Everything the agent printed on stdout and stderr. */
  output = "";
  #child: Deno.ChildProcess | undefined;
  #exit: Promise<Deno.CommandStatus> | undefined;
  #trustFlags: string[] = [];

  private constructor(name: string, dir: string, options: AgentOptions) {
    this.name = name;
    this.dir = dir;
    this.options = options;
  }

  /** Starts an agent named `name`. */
  static async start(name: string, options: AgentOptions): Promise<Agent> {
    const dir = options.dir ?? await Deno.makeTempDir({ prefix: `steward-${name}-` });
    const agent = new Agent(name, dir, options);
    await agent.restart();
    return agent;
  }

  /** The data folder where reply files land. */
  get dataFolder(): string {
    return join(this.dir, "data");
  }

  /** Process id of the running agent (the Deno process itself), for memory checks. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Exit code of the agent's last run, once it has exited. */
  get exitCode(): number | undefined {
    return this.#exitCode;
  }
  #exitCode: number | undefined;

  /** The unix socket of this agent. */
  get socket(): string {
    return join(this.dir, "tmp", "steward.sock");
  }

  /** Path of a reply file: `<data>/<directory>/<node>/<fileName>`. */
  file(directory: string, node: string, fileName: string): string {
    return join(this.dataFolder, directory, node, fileName);
  }

  /** The central error log lines written for errors from `node`. */
  async errorLog(node: string): Promise<string> {
    return await readOr(this.file("errorLog", node, "error.log"));
  }

  /** The flags the agent is started with. */
  flags(): string[] {
    return [
      `-nodeName=${this.name}`,
      `-centralNodeName=${this.options.centralNodeName ?? "central"}`,
      `-brokerAddress=${this.options.broker}`,
      `-socketFolder=${join(this.dir, "tmp")}`,
      `-databaseFolder=${join(this.dir, "var")}`,
      `-subscribersDataFolder=${this.dataFolder}`,
      "-natsConnectRetryInterval=1",
      "-startPubREQHello=0",
      ...this.#trustFlags,
      ...(this.options.flags ?? []),
    ];
  }

  /** Starts (again) the agent process, keeping its folders. */
  async restart(): Promise<void> {
    await Deno.remove(this.socket).catch(() => {});
    if (this.options.provision ?? true) {
      this.#trustFlags = trustFlags(
        await provision(
          this.name,
          join(this.dir, "etc"),
          this.options.centralNodeName ?? "central",
        ),
      );
    }
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...agentDenoFlags(
          this.options.sandbox ?? true
            ? await sandboxInputFor(join(this.dir, "etc"), this.flags(), this.dir)
            : undefined,
        ),
        join(ROOT, AGENT_ENTRY),
        ...this.flags(),
      ],
      cwd: this.dir,
      env: { CONFIG_FOLDER: join(this.dir, "etc"), NO_COLOR: "1", ...this.options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const child = this.#child;
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) this.output += chunk;
    };
    const streams = Promise.all([collect(child.stdout), collect(child.stderr)]);
    this.#exit = streams.then(() => child.status);
    this.#exit.then((status) => this.#exitCode = status.code);
    const wait = this.options.wait ?? "ready";
    if (wait === "none") return;
    const marker = wait === "ready" ? `steward ${this.name}: ready` : "accepting messages";
    // waitFor retries a check that throws: an agent that exits is caught by the race instead.
    await Promise.race([
      waitFor(
        () =>
          this.output.includes(marker) &&
          (this.output.split(marker).length - 1) >= this.#starts + 1,
        30_000,
        `agent ${this.name} (${wait})`,
      ),
      this.#exit.then(() => {
        throw new Error(`agent ${this.name} exited:\n${this.output}`);
      }),
    ]);
    this.#starts++;
  }
  #starts = 0;

  /** Sends a JSON payload into the agent's socket and returns its answers. */
  send(payload: unknown): Promise<Answer[]> {
    return sendToSocket(
      this.socket,
      typeof payload === "string" ? payload : JSON.stringify(payload),
    );
  }

  /** Stops the agent with SIGTERM and waits for it to exit. */
  async stop(): Promise<void> {
    if (!this.#child) return;
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => {
      try {
        this.#child?.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }, 5000);
    await this.#exit;
    clearTimeout(timer);
    this.#child = undefined;
  }

  /** Kills the agent with SIGKILL, as a crash would. */
  async kill9(): Promise<void> {
    if (!this.#child) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#exit;
    this.#child = undefined;
  }

  /** Stops the agent and removes its folder. */
  async destroy(): Promise<void> {
    await this.stop();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** A broker with a central and some nodes, torn down together. */
export class Fleet {
  broker: Broker;
  agents: Map<string, Agent> = new Map();

  private constructor(broker: Broker) {
    this.broker = broker;
  }

  /** Starts a broker and one agent per name (the first is usually central). */
  static async start(
    names: string[],
    options: { flags?: Record<string, string[]> } = {},
  ): Promise<Fleet> {
    const fleet = new Fleet(await Broker.start());
    await Promise.all(names.map((n) => fleet.add(n, options.flags?.[n] ?? [])));
    return fleet;
  }

  /** Starts one more agent on this fleet's broker. */
  async add(
    name: string,
    flags: string[] = [],
    wait: AgentOptions["wait"] = "ready",
  ): Promise<Agent> {
    const agent = await Agent.start(name, { broker: this.broker.address, flags, wait });
    this.agents.set(name, agent);
    return agent;
  }

  /**
   * Makes every node known to central (a ping: central approves its pre-seeded key at its first
   * message) and waits until each holds a trusted set naming all of them, as node-to-node
   * messages need. Assumes a central that approved no other nodes before.
   */
  async introduce(centralName = "central"): Promise<void> {
    const central = this.get(centralName);
    const nodes = [...this.agents.values()].filter((a) => a !== central);
    await Promise.all(nodes.map((n) => n.send({ toNode: centralName, method: "REQPing" })));
    for (const node of nodes) {
      await waitFor(
        async () => {
          // Sent alone (its reply is in central's file) or broadcast (the node says so).
          const text = await readOr(central.file("", node.name, "REQTrustedKeys.result")) +
            node.output;
          const versions = [...text.matchAll(/trusted set version (\d+)/g)].map((m) => +m[1]);
          return Math.max(-1, ...versions) >= nodes.length;
        },
        15_000,
        `${node.name} to hold the trusted set of all ${nodes.length} nodes`,
      );
    }
  }

  /** The agent named `name`. */
  get(name: string): Agent {
    const a = this.agents.get(name);
    if (!a) throw new Error(`no agent ${name} in this fleet`);
    return a;
  }

  /** Stops every agent and the broker, and removes the agents' folders. */
  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.destroy()));
    await this.broker.stop();
  }
}

/**
 * A cluster of nats-servers on loopback, routed to each other, for tests that stop the server
 * an agent is connected to.
 */
export class Cluster {
  /** The servers, in start order. */
  readonly brokers: Broker[];
  readonly #monitorPorts: number[];
  readonly #running: Set<number>;

  private constructor(brokers: Broker[], monitorPorts: number[]) {
    this.brokers = brokers;
    this.#monitorPorts = monitorPorts;
    this.#running = new Set(brokers.keys());
  }

  /** Every client URL, comma-separated, as given to `-brokerAddress`. */
  get address(): string {
    return this.brokers.map((b) => b.address).join(",");
  }

  /** Starts `size` servers (default 3) routed to each other and waits until all routes are up. */
  static async start(size = 3): Promise<Cluster> {
    const routePorts = Array.from({ length: size }, () => freePort());
    const monitorPorts = Array.from({ length: size }, () => freePort());
    const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
    const brokers = await Promise.all(routePorts.map((routePort, i) =>
      Broker.start({
        args: [
          "-m",
          String(monitorPorts[i]),
          "--cluster_name",
          "steward-test",
          "--cluster",
          `nats://127.0.0.1:${routePort}`,
          "--routes",
          routes,
        ],
      })
    ));
    const cluster = new Cluster(brokers, monitorPorts);
    await cluster.routed(size);
    return cluster;
  }

  /** Waits until every running server has a route to the `running - 1` others. */
  async routed(running: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        for (const [i, port] of this.#monitorPorts.entries()) {
          if (!this.#running.has(i)) continue;
          const res = await fetch(`http://127.0.0.1:${port}/routez`);
          const { num_routes } = await res.json() as { num_routes: number };
          if (num_routes < running - 1) return false;
        }
        return true;
      },
      timeoutMs,
      `cluster routes (${running} servers)`,
    );
  }

  /** Index of the running server that a client named `name` is connected to, if any. */
  async serverOf(name: string): Promise<number | undefined> {
    for (const [i, names] of Object.entries(await this.clients())) {
      if (names.includes(name)) return Number(i);
    }
    return undefined;
  }

  /** The names of the clients of each running server, by server index. */
  async clients(): Promise<Record<number, string[]>> {
    const out: Record<number, string[]> = {};
    for (const [i, port] of this.#monitorPorts.entries()) {
      if (!this.#running.has(i)) continue;
      const res = await fetch(`http://127.0.0.1:${port}/connz?limit=1024`);
      const { connections } = await res.json() as { connections?: { name?: string }[] };
      out[i] = (connections ?? []).map((c) => c.name ?? "");
    }
    return out;
  }

  /** Indexes of the servers still running. */
  get running(): number[] {
    return [...this.#running];
  }

  async stopOne(index: number): Promise<void> {
    this.#running.delete(index);
    await this.brokers[index].stop();
  }

  /** Stops every server. */
  async stop(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.stop()));
  }
}

/**
 * Reads the ping ids named by the pong lines (`pong from <node> <iso> ping <id>`) that `agent`
 * recorded for `node`, in file order.
 */
export async function pongIds(agent: Agent, node: string): Promise<string[]> {
  const text = await readOr(agent.file("ping", node, "pong.log"));
  return [...text.matchAll(/ ping (\S+)$/gm)].map((m) => m[1]);
}
