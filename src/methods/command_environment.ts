/**
 * How this node spawns the commands it is asked to run: with a minimal environment (never the
 * agent's own, which may hold secrets) and, with `-runAsUser`, as an unprivileged user.
 *
 * @module
 */
import { commandEnvNames, type Config } from "../config.ts";
import { CommandSpool } from "./command_spool.ts";
import { sharedSpawnThread, type SpawnRunner } from "./shared_spawn_thread.ts";
import {
  checkCanSwitch,
  resolveRunAsUser,
  type RunAsUser,
  type RunAsUserOptions,
} from "./run_as_user.ts";

/** How every command of a node is spawned. */
export interface CommandSpawn {
  /** The whole environment of a command; the agent's own is never inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** The user commands run as (`-runAsUser`); absent: the agent's own user. */
  readonly user?: RunAsUser;
  /** The folder commands start in; absent: the agent's. */
  readonly cwd?: string;
  /**
   * util-linux `setsid`, when commands start through it (see {@linkcode sessionLeader}); absent:
   * they are spawned detached.
   */
  readonly setsid?: string;
  /** The process's spawn thread: commands start there, off the agent's thread; absent: on it. */
  readonly thread?: SpawnRunner;
  /**
   * Where commands keep their output and exit status, so that a result survives the agent's
   * restart (see `command_spool.ts`). Present when commands start through `setsid` as the
   * agent's own user: the wrapper needs to run `sh`, and to write the agent's folder.
   */
  readonly spool?: CommandSpool;
}

/** `PATH` of commands when the agent has none. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Variables a command gets from the agent's environment when they are set, besides `PATH`. */
const LOCALE = ["LANG", "LC_ALL"];

/** Options of {@linkcode commandEnvironment}. */
export interface CommandEnvironmentOptions {
  /** More variables to pass on, by name (`-commandEnv`). */
  names?: readonly string[];
  /** `HOME` of the command (default: the agent's own `HOME`, when set). */
  home?: string;
  /** Reads the agent's environment (default `Deno.env.get`). */
  get?: (name: string) => string | undefined;
}

/**
 * The environment of a command: `PATH` (a standard one if the agent has none), `HOME`, `LANG`
 * and `LC_ALL` when set, and the variables `names` lists. Nothing else of the agent's
 * environment, which can hold the nkey seed's path, tokens and other secrets.
 *
 * @example
 * ```ts
 * import { commandEnvironment } from "./command_environment.ts";
 * const agent: Record<string, string> = { PATH: "/bin", HOME: "/root", TOKEN: "s3cret", TZ: "UTC" };
 * commandEnvironment({ names: ["TZ"], get: (n) => agent[n] });
 * // { PATH: "/bin", HOME: "/root", TZ: "UTC" }
 * ```
 */
export function commandEnvironment(
  options: CommandEnvironmentOptions = {},
): Record<string, string> {
  const get = options.get ?? ((name: string) => Deno.env.get(name));
  const env: Record<string, string> = { PATH: get("PATH") || DEFAULT_PATH };
  const home = options.home ?? get("HOME");
  if (home !== undefined) env.HOME = home;
  for (const name of [...LOCALE, ...(options.names ?? [])]) {
    const value = get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * Works out, once at start, how this node spawns commands: its `-commandEnv` and `-runAsUser`.
 * A run-as user's commands get its `HOME` and start in `/` (the agent's own folder is
 * usually not theirs to enter). With a `databaseFolder` (and `commandSpool` not false),
 * commands are spooled under its `spool/` where they can be (see {@linkcode CommandSpawn.spool}).
 *
 * @throws {RunAsUserError} when `-runAsUser` names no usable user or the agent cannot switch.
 * @example
 * ```ts
 * import { commandSpawnFor } from "./command_environment.ts";
 * const spawn = await commandSpawnFor({ commandEnv: "", runAsUser: "" });
 * spawn.user; // undefined: commands run as the agent's user
 * ```
 */
export async function commandSpawnFor(
  config:
    & Pick<Config, "commandEnv" | "runAsUser">
    & Partial<Pick<Config, "databaseFolder" | "commandSpool">>,
  options: RunAsUserOptions & Pick<CommandEnvironmentOptions, "get"> & {
    /** `false`: commands spawn on the agent's thread. */
    thread?: boolean;
  } = {},
): Promise<CommandSpawn> {
  const names = commandEnvNames(config.commandEnv);
  const thread = options.thread === false ? {} : { thread: sharedSpawnThread() };
  if (config.runAsUser === "") {
    const setsid = await sessionLeader();
    const spool = setsid && config.databaseFolder !== undefined && config.commandSpool !== false
      ? { spool: new CommandSpool(`${config.databaseFolder}/spool`) }
      : {};
    return {
      env: commandEnvironment({ names, get: options.get }),
      ...(setsid ? { setsid } : {}),
      ...thread,
      ...spool,
    };
  }
  const user = await resolveRunAsUser(config.runAsUser, options);
  await checkCanSwitch(user, options);
  return {
    env: commandEnvironment({ names, home: user.home, get: options.get }),
    user,
    cwd: "/",
    ...thread,
  };
}

/**
 * The `setsid` executable commands start through, or undefined. A detached spawn (Deno's way to
 * give a command its own process group) forks the agent, 10–25 ms on its only thread while the
 * agent holds tens of MB; through `setsid`, which calls setsid(2) and execs the command in the
 * same process, the agent spawns with posix_spawn (about 1 ms), and results no longer wait
 * behind spawns. Only when the agent may run any executable: with a narrow `--allow-run`, Deno
 * would check `setsid` instead of the command itself.
 *
 * @example
 * ```ts
 * import { sessionLeader } from "./command_environment.ts";
 * const setsid = await sessionLeader(); // "/usr/bin/setsid" on most Linux machines
 * ```
 */
export async function sessionLeader(
  candidates: readonly string[] = ["/usr/bin/setsid", "/bin/setsid"],
): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  if ((await Deno.permissions.query({ name: "run" })).state !== "granted") return undefined;
  for (const path of candidates) {
    try {
      const info = await Deno.stat(path);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return path;
    } catch {
      // Not there, or not readable: try the next.
    }
  }
  return undefined;
}
