import { type ChildResult, type ChildSpec, ChildStartError, runChild } from "./child_run.ts";
import type { CommandSpawn } from "./command_environment.ts";
import { collectSpooled, SPOOL_SCRIPT } from "./command_spool.ts";
import { SpawnThreadGoneError } from "./spawn_thread.ts";
import { MethodError } from "./types.ts";

/** Options of {@linkcode runCommand}. */
export interface RunCommandOptions {
  /** Stops the command: its whole process group is killed. */
  signal: AbortSignal;
  /** Largest stdout kept; a command producing more is stopped with an error. */
  maxOutputBytes: number;
  /** Called with each chunk of stdout as it is produced (streaming methods). */
  onOutput?: (chunk: Uint8Array) => void | Promise<void>;
  /** The node's environment and user for commands (see command_environment.ts). */
  spawn: CommandSpawn;
  /** Variables added to `spawn.env` for this command (a chained reply's `STEWARD_DATA`). */
  env?: Record<string, string>;
  /**
   * The id of the message the command runs for: with `spawn.spool`, its output and exit status
   * go to that message's spool, and a command an earlier process of the agent spawned for it
   * is collected rather than started again (see `command_spool.ts`).
   */
  spoolId?: string;
  /** The command was started for `spoolId` by an earlier process: collect it from the spool. */
  resumed?: boolean;
  /** Resumed and streamed: the bytes of its output already sent, not sent again. */
  resumeFrom?: number;
}

/** The outcome of a command that ran to its end. */
export interface CommandOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `argv` in its own process group, so that a timeout kills it and everything it started.
 * It gets only `spawn.env` (plus `env`), never the agent's environment, and runs as
 * `spawn.user` when one is set.
 *
 * @throws {MethodError} when the command cannot start, times out or writes too much.
 * @example
 * ```ts
 * import { runCommand } from "./run_command.ts";
 * const out = await runCommand(["bash", "-c", "echo $GREETING"], {
 *   signal: AbortSignal.timeout(5000),
 *   maxOutputBytes: 1 << 20,
 *   spawn: { env: { PATH: "/usr/bin:/bin" } },
 *   env: { GREETING: "hi" },
 * });
 * out.stdout; // "hi\n"
 * ```
 */
export async function runCommand(
  argv: readonly string[],
  options: RunCommandOptions,
): Promise<CommandOutcome> {
  if (argv.length === 0 || argv[0] === "") {
    throw new MethodError("methodArgs is empty: expected the command and its arguments");
  }
  options.signal.throwIfAborted();
  const { spawn } = options;
  // Through setsid the command leads its own group without a fork of the agent (see
  // sessionLeader); it execs the command in the same process, so pid and exit code are its own.
  const leader = spawn.user ? undefined : spawn.setsid;
  const spool = leader && options.spoolId !== undefined ? spawn.spool : undefined;
  let spoolDir: string | undefined;
  if (spool) {
    const id = options.spoolId!;
    // Only a run that resumes one started before a restart looks at what the folder holds: a
    // command could plant a result there for a message id it expects.
    const state = options.resumed ? spool.state(id) : { kind: "absent" as const };
    if (state.kind === "lost") {
      throw new MethodError(
        `${argv[0]} was interrupted: its process ended without an exit status while the agent ` +
          `was down (a reboot?); not run again (at most once)`,
      );
    }
    if (state.kind === "running" || state.kind === "ended") {
      // Spawned by this agent before it restarted: its result is collected, once.
      const out = await collectSpooled(spool, id, state, {
        signal: options.signal,
        maxOutputBytes: options.maxOutputBytes,
        maxErrorBytes: MAX_ERROR_BYTES,
        ...(options.onOutput ? { onChunk: options.onOutput, from: options.resumeFrom ?? 0 } : {}),
      });
      if (out === "lost") {
        throw new MethodError(
          `${argv[0]} was interrupted: its process ended without an exit status; not run again`,
        );
      }
      return commandOutcome(argv, out, options, { spoolDir: spool.folderOf(id) });
    }
    spoolDir = spool.prepare(id);
  }
  const commandArgs = spoolDir ? ["sh", "-c", SPOOL_SCRIPT, spoolDir, ...argv] : argv;
  const spec: ChildSpec = {
    command: leader ?? commandArgs[0],
    args: leader ? [...commandArgs] : commandArgs.slice(1),
    env: { ...spawn.env, ...options.env },
    ...(spawn.user ? { uid: spawn.user.uid, gid: spawn.user.gid } : {}),
    ...(spawn.cwd ? { cwd: spawn.cwd } : {}),
    detached: leader === undefined,
    maxOutputBytes: options.maxOutputBytes,
    maxErrorBytes: MAX_ERROR_BYTES,
    ...(spoolDir ? { spool: spoolDir } : {}),
  };
  let out: ChildResult;
  try {
    const hooks = { stop: options.signal, onChunk: options.onOutput };
    out = spawn.thread ? await spawn.thread.run(spec, hooks) : await runChild(spec, hooks);
  } catch (err) {
    if (err instanceof ChildStartError) {
      if (err.failure === "not-found") throw new MethodError(`command not found: ${argv[0]}`);
      if (err.failure === "not-allowed") {
        throw new MethodError(`not allowed to run ${argv[0]}: ${err.message}`);
      }
      throw new MethodError(`cannot start ${argv[0]}: ${err.message}`);
    }
    if (err instanceof SpawnThreadGoneError) {
      throw new MethodError(`${argv[0]} interrupted: ${err.message}; it was killed`);
    }
    throw err;
  }
  return commandOutcome(argv, out, options, { leader, spoolDir });
}

/** Largest standard error of a command kept for its reply. */
const MAX_ERROR_BYTES = 64 * 1024;

/** The outcome of a command that ended with `out`, or the error that says how it failed. */
function commandOutcome(
  argv: readonly string[],
  out: ChildResult,
  options: RunCommandOptions,
  via: { leader?: string; spoolDir?: string },
): CommandOutcome {
  const { stdout, stderr } = out;
  if (out.overflow) {
    throw new MethodError(
      `output of ${argv[0]} exceeds the limit of ${options.maxOutputBytes} bytes; command stopped`,
    );
  }
  if (options.signal.aborted) {
    const reason = options.signal.reason;
    const why = reason instanceof Error && reason.name === "TimeoutError"
      ? "methodTimeout reached"
      : reason instanceof Error
      ? reason.message
      : "stopped";
    throw new MethodError(`${argv[0]} stopped: ${why}`, { cause: { stdout, stderr } });
  }
  if ((via.leader || via.spoolDir) && (out.code === 126 || out.code === 127)) {
    // How setsid, or the spool's sh, says that the command could not be executed.
    const failed = via.spoolDir
      ? new RegExp(`^${escapeRegExp(via.spoolDir)}: \\d+: exec: [^\n]*: (.*)\n?$`).exec(stderr)
      : /^setsid: failed to execute [^\n]*: (.*)\n?$/.exec(stderr);
    if (failed && out.code === 127) throw new MethodError(`command not found: ${argv[0]}`);
    if (failed) throw new MethodError(`cannot start ${argv[0]}: ${failed[1]}`);
  }
  return { code: out.code, stdout, stderr };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
