/**
 * Playbooks: a named piece of automation, run once from the command line or on a cron
 * schedule (`Deno.cron`, UTC), locally or hosted by an agent (`--playbooksFolder`).
 *
 * @module
 */
import { type Client, connect } from "./client.ts";
import { checkCron } from "./cron.ts";
import { InvalidMessageError } from "./errors.ts";
import { type Endpoint, endpointFrom } from "./transport.ts";

/**
 * What a playbook is: its name, its optional schedule and what it does.
 *
 * @example
 * ```ts
 * import { playbook, type PlaybookDefinition, to } from "../../mod.ts";
 * const definition: PlaybookDefinition = {
 *   name: "ping-ship1",
 *   schedule: "0 * * * *",
 *   async run(steward) {
 *     await steward.run(to("ship1").ping());
 *   },
 * };
 * playbook(definition);
 * ```
 */
export interface PlaybookDefinition {
  /** Letters, digits, spaces, `-` and `_`; at most 64 (it names the cron job). */
  readonly name: string;
  /** Standard 5-field cron schedule, UTC (e.g. `"*\/5 * * * *"`); absent: run on demand. */
  readonly schedule?: string;
  /** Longest a run may take when hosted by an agent, in seconds (default 600). */
  readonly timeoutSeconds?: number;
  /** The work: send requests with `steward` and act on their results. */
  run(steward: Client): Promise<void> | void;
}

/**
 * Registers a cron job; `Deno.cron` by default, replaceable in tests.
 *
 * @example
 * ```ts
 * import type { CronRegister } from "../../mod.ts";
 * // Fires every job once, right away: time injected in a test.
 * const now: CronRegister = async (_name, _schedule, _options, handler) => {
 *   await handler();
 * };
 * ```
 */
export type CronRegister = (
  name: string,
  schedule: string,
  options: { signal?: AbortSignal },
  handler: () => Promise<void> | void,
) => Promise<void>;

/**
 * Options of {@linkcode Playbook.scheduled}.
 *
 * @example
 * ```ts
 * import type { ScheduleOptions } from "../../mod.ts";
 * const options: ScheduleOptions = {
 *   endpoint: { socket: "./tmp/steward.sock" },
 *   onError: (err) => console.error("run failed:", err),
 * };
 * ```
 */
export interface ScheduleOptions {
  /** The agent to talk to (default: as {@linkcode connect} finds it). */
  endpoint?: Endpoint;
  /** Unregisters the job. */
  signal?: AbortSignal;
  /** Replaces `Deno.cron` (tests inject time this way). */
  cron?: CronRegister;
  /** Called when a run fails (default: printed on standard error). */
  onError?: (err: unknown) => void;
  /** Called when a run is skipped because the previous one is still running. */
  onSkip?: () => void;
}

/**
 * Options of {@linkcode Playbook.main}.
 *
 * @example
 * ```ts
 * import type { MainOptions } from "../../mod.ts";
 * const options: MainOptions = { args: ["--once", "--socket=./tmp/steward.sock"] };
 * ```
 */
export interface MainOptions {
  /** Command-line arguments (default `Deno.args`). */
  args?: readonly string[];
  /** Replaces `Deno.cron` for `--cron`. */
  cron?: CronRegister;
}

const NAME = /^[A-Za-z0-9 _-]{1,64}$/;

/**
 * A playbook, made by {@linkcode playbook}. Export it as the module's default export so an
 * agent can host it, and call {@linkcode Playbook.main} when the file is run directly.
 *
 * @example
 * ```ts ignore
 * import { playbook, to } from "../../mod.ts";
 * const check = playbook({ name: "uptime", run: (s) => s.send(to("ship1").cli("uptime")).then(() => {}) });
 * await check.once();
 * ```
 */
export class Playbook implements PlaybookDefinition {
  readonly name: string;
  readonly schedule?: string;
  readonly timeoutSeconds: number;
  readonly #run: PlaybookDefinition["run"];

  /**
   * Checks a definition; playbooks use {@linkcode playbook}.
   *
   * @throws {InvalidMessageError} on a bad name, schedule or timeout.
   */
  constructor(definition: PlaybookDefinition) {
    if (typeof definition.name !== "string" || !NAME.test(definition.name)) {
      throw new InvalidMessageError(
        `Invalid playbook name ${JSON.stringify(definition.name)}: ` +
          `use 1-64 letters, digits, spaces, '-' or '_'`,
      );
    }
    this.name = definition.name;
    if (definition.schedule !== undefined) this.schedule = checkCron(definition.schedule);
    const timeout = definition.timeoutSeconds ?? 600;
    if (!Number.isInteger(timeout) || timeout < 1) {
      throw new InvalidMessageError(`Playbook ${this.name}: timeoutSeconds must be at least 1`);
    }
    this.timeoutSeconds = timeout;
    if (typeof definition.run !== "function") {
      throw new InvalidMessageError(`Playbook ${this.name}: run must be a function`);
    }
    this.#run = definition.run;
    Object.freeze(this);
  }

  /** Runs the playbook's work with `steward`. */
  async run(steward: Client): Promise<void> {
    await this.#run(steward);
  }

  /**
   * Connects to the agent, runs the playbook once and closes the connection.
   *
   * @example
   * ```ts ignore
   * await healthCheck.once({ socket: "./tmp/steward.sock" });
   * ```
   */
  async once(endpoint?: Endpoint): Promise<void> {
    const steward = await connect(endpoint);
    try {
      await this.run(steward);
    } finally {
      steward.close();
    }
  }

  /**
   * Runs the playbook on its schedule through `Deno.cron` (needs `--unstable-cron`). A run
   * that is due while the previous one still runs is skipped, so runs never pile up.
   *
   * @throws {InvalidMessageError} when the playbook has no schedule.
   * @throws {Error} when `Deno.cron` is not available.
   * @example
   * ```ts ignore
   * await healthCheck.scheduled({ endpoint: { socket: "./tmp/steward.sock" } });
   * ```
   */
  scheduled(options: ScheduleOptions = {}): Promise<void> {
    if (!this.schedule) {
      throw new InvalidMessageError(`Playbook ${this.name} has no schedule`);
    }
    const cron = options.cron ?? denoCron();
    let running = false;
    return cron(this.name, this.schedule, { signal: options.signal }, async () => {
      if (running) {
        (options.onSkip ?? (() => console.error(`${this.name}: previous run still running`)))();
        return;
      }
      running = true;
      try {
        await this.once(options.endpoint);
      } catch (err) {
        (options.onError ?? ((e) => console.error(`${this.name} failed:`, e)))(err);
      } finally {
        running = false;
      }
    });
  }

  /**
   * The entry of a playbook file run with `deno run`: runs it once, or with `--cron` keeps
   * running it on its schedule. The agent is found as {@linkcode connect} finds it.
   *
   * @example
   * ```ts ignore
   * if (import.meta.main) await healthCheck.main();
   * ```
   */
  async main(options: MainOptions = {}): Promise<void> {
    const args = options.args ?? Deno.args;
    const endpoint = endpointFrom(args);
    if (args.includes("--cron")) {
      console.log(`${this.name}: running on "${this.schedule}" (UTC); Ctrl-C stops`);
      await this.scheduled({ endpoint, cron: options.cron });
      return;
    }
    await this.once(endpoint);
  }
}

function denoCron(): CronRegister {
  const cron = (Deno as { cron?: unknown }).cron;
  if (typeof cron !== "function") {
    throw new Error("Deno.cron is not available: run with --unstable-cron");
  }
  return (name, schedule, options, handler) =>
    (cron as CronRegister).call(Deno, name, schedule, options, handler);
}

/**
 * Defines a playbook: a name, an optional cron schedule (5 fields, UTC) and its work.
 *
 * @throws {InvalidMessageError} on a bad name or schedule.
 * @example
 * ```ts
 * import { playbook, to, toFile } from "../../mod.ts";
 * export default playbook({
 *   name: "disk-usage",
 *   schedule: "0 * * * *",
 *   async run(steward) {
 *     await steward.send(to("ship1").cli("df -h").reply(toFile("disk/df.txt")));
 *   },
 * });
 * ```
 */
export function playbook(definition: PlaybookDefinition): Playbook {
  return new Playbook(definition);
}
