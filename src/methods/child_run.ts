/**
 * One child process run to its end, on whichever thread calls it: spawned in its own process
 * group, its output collected within limits, the whole group killed when it is stopped and
 * again when it ends. `runCommand` uses it through a {@linkcode SpawnThread}
 * (`spawn_thread.ts`), or directly where there is none.
 *
 * @module
 */

/** What to start: a `Deno.Command` without the agent's environment. */
export interface ChildSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  cwd?: string;
  /** Spawned detached (its own group) rather than through a `setsid` leader. */
  detached: boolean;
  /** Largest stdout kept; more stops the child and sets `overflow`. */
  maxOutputBytes: number;
  /** Largest stderr kept; more is dropped. */
  maxErrorBytes: number;
}

/** How a child that could not start failed. */
export type StartFailure = "not-found" | "not-allowed" | "other";

/** Thrown by {@linkcode runChild} when the child could not start. */
export class ChildStartError extends Error {
  override name = "ChildStartError";
  /** A child that could not start, for `failure`. */
  constructor(readonly failure: StartFailure, message: string) {
    super(message);
  }
}

/** A child that ran to its end (or was stopped). */
export interface ChildResult {
  code: number;
  stdout: string;
  stderr: string;
  /** It wrote more than `maxOutputBytes` and was stopped. */
  overflow: boolean;
}

/** What the caller hears while the child runs. */
export interface ChildHooks {
  /** Aborting it stops the child: SIGTERM to its group, SIGKILL a second later. */
  stop: AbortSignal;
  /** Told the child's pid once it started. */
  onStart?: (pid: number) => void;
  /** Each chunk of stdout as it comes; the next is read once this settles (backpressure). */
  onChunk?: (chunk: Uint8Array) => void | Promise<void>;
}

const decoder = new TextDecoder();

/**
 * Signals the process group of `pid` (a command and everything it started), or `pid` alone
 * when it has no group yet.
 *
 * @example
 * ```ts ignore
 * import { killGroup } from "./child_run.ts";
 * killGroup(child.pid, "SIGKILL");
 * ```
 */
export function killGroup(pid: number, signal: Deno.Signal): void {
  try {
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

/**
 * Starts `spec` and waits for its end.
 *
 * @throws {ChildStartError} when it cannot start.
 * @example
 * ```ts
 * import { runChild } from "./child_run.ts";
 * const out = await runChild({
 *   command: "echo",
 *   args: ["hi"],
 *   env: { PATH: "/usr/bin:/bin" },
 *   detached: true,
 *   maxOutputBytes: 1024,
 *   maxErrorBytes: 1024,
 * }, { stop: new AbortController().signal });
 * console.assert(out.stdout === "hi\n" && out.code === 0);
 * ```
 */
export async function runChild(spec: ChildSpec, hooks: ChildHooks): Promise<ChildResult> {
  hooks.stop.throwIfAborted();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(spec.command, {
      args: spec.args,
      // The agent's environment may hold secrets (seed paths, tokens): never inherited.
      clearEnv: true,
      env: spec.env,
      ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: spec.detached,
    }).spawn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof Deno.errors.NotFound) throw new ChildStartError("not-found", message);
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw new ChildStartError("not-allowed", message);
    }
    throw new ChildStartError("other", message);
  }
  hooks.onStart?.(child.pid);
  let overflow = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    killGroup(child.pid, "SIGTERM");
    killTimer ??= setTimeout(() => killGroup(child.pid, "SIGKILL"), 1000);
  };
  hooks.stop.addEventListener("abort", stop, { once: true });
  try {
    const [stdout, stderr, status] = await Promise.all([
      collect(child.stdout, spec.maxOutputBytes, hooks.onChunk, () => {
        if (!overflow) stop();
        overflow = true;
      }),
      collect(child.stderr, spec.maxErrorBytes, undefined, () => {}),
      child.status,
    ]);
    return { code: status.code, stdout, stderr, overflow };
  } finally {
    hooks.stop.removeEventListener("abort", stop);
    // The leader may be gone while others in its group still run (`sleep 9 &`): end them too.
    killGroup(child.pid, "SIGKILL");
    clearTimeout(killTimer);
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
  if (parts.length === 1) return decoder.decode(parts[0]);
  const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return decoder.decode(all);
}
