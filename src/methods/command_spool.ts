/**
 * The command spool: each command a node runs writes its output, its exit code and its pid
 * to files in a folder of its own, `<databaseFolder>/spool/<message id>/`, through a small
 * `sh` wrapper, not only through pipes to the agent. A command keeps running when its agent
 * is killed; the wrapper still records how it ended, and the restarted agent collects the
 * result from the spool and replies once (see `attachSpooled`).
 *
 * Files of a spool folder:
 * - `pid`: the wrapper's pid, written by the wrapper before the command starts. The wrapper
 *   leads the command's process group (it is started through `setsid`).
 * - `out`, `err`: the command's standard output and error.
 * - `code`: its exit status and a newline, written when it ended; without the newline it was
 *   torn and counts as absent.
 *
 * @module
 */
import { createHash } from "node:crypto";
import {
  type ChildResult,
  followSpool,
  killGroup,
  readSpoolCode,
  readSpoolFile,
} from "./child_run.ts";

/**
 * The wrapper, run as `setsid sh -c SPOOL_SCRIPT <folder> <command> <args…>`. `(exec "$@")`
 * runs the executable even when `sh` has a builtin of the same name (`echo`, `printf`), and
 * `PWD`, which `sh` adds to the environment, is taken out again: a command behaves as it does
 * without the spool, with only the environment the agent gives it.
 */
export const SPOOL_SCRIPT = 'unset PWD; echo $$ >"$0/pid" || exit 125\n' +
  '(exec "$@") >"$0/out" 2>"$0/err" </dev/null\n' +
  'echo $? >"$0/code"\n';

/** How far a spooled command got, read from its folder. */
export type SpoolState =
  /** No folder: the command was never spawned. */
  | { kind: "absent" }
  /** A folder and no process: the agent died before the wrapper started. */
  | { kind: "unstarted" }
  /** Its wrapper (pid) is still running. */
  | { kind: "running"; pid: number }
  /** It ended with exit status `code`. */
  | { kind: "ended"; code: number }
  /** Its process is gone without an exit status (killed with its wrapper, or a reboot). */
  | { kind: "lost" };

/** Where a node keeps the spool of each command, and how it reads them. */
export class CommandSpool {
  /**
   * The spool under `folder` (created 0700 on first use).
   *
   * @example
   * ```ts
   * import { CommandSpool } from "./command_spool.ts";
   * const spool = new CommandSpool(await Deno.makeTempDir());
   * const folder = spool.prepare("m1"); // an empty folder for message m1
   * spool.state("m1"); // { kind: "unstarted" }
   * spool.remove("m1");
   * ```
   */
  constructor(readonly folder: string) {}

  /** Bytes of each streamed output whose disk space was given back (see `release`). */
  #released = new Map<string, number>();

  /** The folder of message `id`: the id itself when it is a plain name, else its hash. */
  folderOf(id: string): string {
    const name = /^[A-Za-z0-9_-]{1,64}$/.test(id)
      ? id
      : `h-${createHash("sha256").update(id).digest("hex")}`;
    return `${this.folder}/${name}`;
  }

  /** Whether message `id` has a spool folder: its command was (about to be) spawned. */
  exists(id: string): boolean {
    try {
      Deno.lstatSync(this.folderOf(id));
      return true;
    } catch {
      return false;
    }
  }

  /** Makes the empty folder of message `id` (0700), replacing any earlier one. */
  prepare(id: string): string {
    const dir = this.folderOf(id);
    // Once per command, on the agent's thread: the common case is one mkdir, no exception.
    try {
      Deno.mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) Deno.removeSync(dir, { recursive: true });
      else if (err instanceof Deno.errors.NotFound) {
        Deno.mkdirSync(this.folder, { recursive: true, mode: 0o700 });
      } else throw err;
      Deno.mkdirSync(dir, { mode: 0o700 });
    }
    return dir;
  }

  /** How far the command of message `id` got (see {@linkcode SpoolState}). */
  state(id: string): SpoolState {
    const dir = this.folderOf(id);
    if (!this.exists(id)) return { kind: "absent" };
    const code = readSpoolCode(dir);
    if (code !== undefined) return { kind: "ended", code };
    const pid = readPid(dir) ?? wrapperPidByCommandLine(dir);
    if (pid !== undefined && wrapperAlive(pid, dir)) return { kind: "running", pid };
    // The code may have been written between the two reads.
    const late = readSpoolCode(dir);
    if (late !== undefined) return { kind: "ended", code: late };
    return pid === undefined && readPid(dir) === undefined
      ? { kind: "unstarted" }
      : { kind: "lost" };
  }

  /**
   * Gives back the disk space of the first `upTo` bytes of the streamed output of message `id`
   * (sent, and committed as sent), once that is `step` bytes more than last time: a streaming
   * command's spool then holds about `step` bytes, however long it runs. The bytes become a hole
   * (util-linux `fallocate --punch-hole`), so offsets in the file stay valid for the writer and
   * for a resumed reader. Where that cannot be done (no `fallocate`, a file system without
   * holes), the spool keeps the whole output.
   */
  async release(id: string, upTo: number, step: number): Promise<void> {
    if (upTo - (this.#released.get(id) ?? 0) < step) return;
    this.#released.set(id, upTo);
    try {
      await new Deno.Command("fallocate", {
        args: [
          "--punch-hole",
          "--offset",
          "0",
          "--length",
          String(upTo),
          `${this.folderOf(id)}/out`,
        ],
        clearEnv: true,
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
        stdout: "null",
        stderr: "null",
      }).output();
    } catch {
      // Not there: the spool keeps the whole output (see above).
    }
  }

  /** Removes the spool of message `id` (its last reply was ACKed, or given up). */
  async remove(id: string): Promise<void> {
    this.#released.delete(id);
    try {
      await Deno.remove(this.folderOf(id), { recursive: true });
    } catch {
      // Already gone.
    }
  }

  /**
   * Removes every spool folder last changed before `before` (ms since the epoch) whose message
   * is not in `keep`: left by a process that died after the reply was queued and before it
   * removed them. Returns how many were removed.
   */
  sweep(before: number, keep: ReadonlySet<string>): number {
    const kept = new Set([...keep].map((id) => this.folderOf(id)));
    let removed = 0;
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(this.folder)];
    } catch {
      return 0;
    }
    for (const entry of entries) {
      const dir = `${this.folder}/${entry.name}`;
      if (kept.has(dir)) continue;
      try {
        const changed = Deno.lstatSync(dir).mtime?.getTime() ?? 0;
        if (changed >= before) continue;
        Deno.removeSync(dir, { recursive: true });
        removed++;
      } catch {
        // Gone meanwhile, or not ours to remove: left alone.
      }
    }
    return removed;
  }
}

function readPid(dir: string): number | undefined {
  try {
    const match = /^(\d+)\n$/.exec(Deno.readTextFileSync(`${dir}/pid`));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is still the wrapper of `dir`: alive, and (where `/proc` shows it) with `dir`
 * on its command line, so that a pid reused by another process after a reboot is not taken
 * for it.
 */
function wrapperAlive(pid: number, dir: string): boolean {
  const cmdline = commandLine(pid);
  if (cmdline !== undefined) return cmdline.includes(`\0${dir}\0`);
  try {
    Deno.kill(pid, "SIGCONT"); // Harmless; throws when there is no such process.
    return true;
  } catch {
    return false;
  }
}

function commandLine(pid: number): string | undefined {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`);
  } catch (err) {
    // No /proc here (not Linux): undefined. A process gone: an empty command line.
    return err instanceof Deno.errors.NotFound && procMounted() ? "" : undefined;
  }
}

function procMounted(): boolean {
  try {
    Deno.statSync("/proc/self/cmdline");
    return true;
  } catch {
    return false;
  }
}

/**
 * The pid of the wrapper of `dir` found by its command line, for one killed by the agent's
 * death before it wrote its pid file (the command line holds `dir` from the spawn on).
 */
function wrapperPidByCommandLine(dir: string): number | undefined {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/proc")];
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    if (commandLine(pid)?.includes(`\0${dir}\0`)) return pid;
  }
  return undefined;
}

/** Options of {@linkcode collectSpooled}. */
export interface CollectOptions {
  /** Stops the command (its process group) and ends the wait. */
  signal: AbortSignal;
  /** Largest output kept; a command writing more is stopped. */
  maxOutputBytes: number;
  /** Largest standard error kept. */
  maxErrorBytes: number;
  /** Streams the output from byte `from` on instead of keeping it. */
  onChunk?: (chunk: Uint8Array) => void | Promise<void>;
  /** Where the output was sent up to before the restart (with `onChunk`). */
  from?: number;
}

/**
 * Waits for a command spawned by an earlier process of this agent, found `running` or `ended`
 * in its spool folder, and reads its result as a spawn would. Returns "lost" when its process
 * went away without an exit status, unless it was stopped here.
 *
 * @example
 * ```ts ignore
 * import { CommandSpool, collectSpooled } from "./command_spool.ts";
 * const spool = new CommandSpool("/var/lib/steward/spool");
 * const state = spool.state(message.id);
 * if (state.kind === "running" || state.kind === "ended") {
 *   const out = await collectSpooled(spool, message.id, state, options);
 * }
 * ```
 */
export async function collectSpooled(
  spool: CommandSpool,
  id: string,
  found: Extract<SpoolState, { kind: "running" | "ended" }>,
  options: CollectOptions,
): Promise<ChildResult | "lost"> {
  const dir = spool.folderOf(id);
  let state: SpoolState = found;
  const pid = found.kind === "running" ? found.pid : undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    if (pid === undefined) return;
    killGroup(pid, "SIGTERM");
    killTimer ??= setTimeout(() => killGroup(pid, "SIGKILL"), 1000);
  };
  const signal = options.signal;
  signal.addEventListener("abort", stop, { once: true });
  let overflow = false;
  try {
    const ended = (async () => {
      while (state.kind === "running") {
        await new Promise((r) => setTimeout(r, SPOOL_WAIT_MS));
        state = spool.state(id);
      }
    })();
    const out = await followSpool(dir, options.maxOutputBytes, ended, options.onChunk, () => {
      overflow = true;
      stop();
    }, options.from);
    await ended;
    const end = state as SpoolState;
    // Stopped here (overflow, deadline): no exit status is needed to say how it ended.
    const stopped = overflow || out.overflow || signal.aborted;
    if (end.kind !== "ended" && !stopped) return "lost";
    return {
      code: end.kind === "ended" ? end.code : 128 + 9,
      stdout: out.text,
      stderr: readSpoolFile(`${dir}/err`, options.maxErrorBytes),
      overflow: overflow || out.overflow,
    };
  } finally {
    signal.removeEventListener("abort", stop);
    if (pid !== undefined) killGroup(pid, "SIGKILL");
    clearTimeout(killTimer);
  }
}

/** How often a command collected after a restart is looked at. */
const SPOOL_WAIT_MS = 100;
