import type { CommandSpawn } from "./command_environment.ts";
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
}

/** The outcome of a command that ran to its end. */
export interface CommandOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

const decoder = new TextDecoder();

function killGroup(pid: number, signal: Deno.Signal): void {
  try {
    // A negative pid signals the whole process group, children of pipes included.
    Deno.kill(-pid, signal);
  } catch {
    try {
      // No group yet: a command started through setsid may not have called it.
      Deno.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  onChunk: ((c: Uint8Array) => void | Promise<void>) | undefined,
  onOverflow: () => void,
): Promise<string> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (onChunk) await onChunk(chunk);
    else if (size + chunk.length > limit) {
      onOverflow();
      continue;
    } else parts.push(chunk);
    size += chunk.length;
  }
  const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return decoder.decode(all);
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
  let child: Deno.ChildProcess;
  const { spawn } = options;
  // Through setsid the command leads its own group without a fork of the agent (see
  // sessionLeader); it execs the command in the same process, so pid and exit code are its own.
  const leader = spawn.user ? undefined : spawn.setsid;
  try {
    child = new Deno.Command(leader ?? argv[0], {
      args: leader ? [...argv] : argv.slice(1),
      // The agent's environment may hold secrets (seed paths, tokens): never inherited.
      clearEnv: true,
      env: { ...spawn.env, ...options.env },
      ...(spawn.user ? { uid: spawn.user.uid, gid: spawn.user.gid } : {}),
      ...(spawn.cwd ? { cwd: spawn.cwd } : {}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: leader === undefined,
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MethodError(`command not found: ${argv[0]}`);
    }
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw new MethodError(`not allowed to run ${argv[0]}: ${(err as Error).message}`);
    }
    throw new MethodError(`cannot start ${argv[0]}: ${(err as Error).message}`);
  }
  let overflow = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    killGroup(child.pid, "SIGTERM");
    killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), 1000);
  };
  const onAbort = () => stop();
  options.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const [stdout, stderr, status] = await Promise.all([
      collect(child.stdout, options.maxOutputBytes, options.onOutput, () => {
        if (!overflow) stop();
        overflow = true;
      }),
      collect(child.stderr, 64 * 1024, undefined, () => {}),
      child.status,
    ]);
    if (overflow) {
      throw new MethodError(
        `output of ${
          argv[0]
        } exceeds the limit of ${options.maxOutputBytes} bytes; command stopped`,
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
    if (leader && (status.code === 126 || status.code === 127)) {
      const failed = /^setsid: failed to execute [^\n]*: (.*)\n?$/.exec(stderr);
      if (failed && status.code === 127) throw new MethodError(`command not found: ${argv[0]}`);
      if (failed) throw new MethodError(`cannot start ${argv[0]}: ${failed[1]}`);
    }
    return { code: status.code, stdout, stderr };
  } finally {
    options.signal.removeEventListener("abort", onAbort);
    // The leader may be gone while others in its group still run (`sleep 9 &`): end them too.
    killGroup(child.pid, "SIGKILL");
    clearTimeout(killTimer);
  }
}
