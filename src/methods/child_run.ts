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
  /**
   * The command's spool folder, when `command`/`args` start the spool wrapper (see
   * `command_spool.ts`): its output and exit status are read from there, not from pipes.
   */
  spool?: string;
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
      // A spooled command writes to its spool; the pipes carry only the wrapper's own errors.
      stdout: spec.spool ? "null" : "piped",
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
  if (spec.spool) {
    try {
      return await spooledResult(spec, spec.spool, child, hooks, () => {
        if (!overflow) stop();
        overflow = true;
      }).then((out) => ({ ...out, overflow: out.overflow || overflow }));
    } finally {
      hooks.stop.removeEventListener("abort", stop);
      killGroup(child.pid, "SIGKILL");
      clearTimeout(killTimer);
    }
  }
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

/** How often a spooled command's output is measured (and, streamed, read) while it runs. */
const SPOOL_POLL_MS = 50;

/**
 * Waits for the spooled `child` (the wrapper) to end: its output is read from the spool, as
 * it grows when streamed, and a command whose output passes `maxOutputBytes` is stopped.
 */
async function spooledResult(
  spec: ChildSpec,
  dir: string,
  child: Deno.ChildProcess,
  hooks: ChildHooks,
  onOverflow: () => void,
): Promise<ChildResult> {
  const wrapperErrors = collect(child.stderr, spec.maxErrorBytes, undefined, () => {});
  const out = await followSpool(dir, spec.maxOutputBytes, child.status, hooks.onChunk, onOverflow);
  const status = await child.status;
  const code = readSpoolCode(dir) ?? status.code;
  const stderr = readSpoolFile(`${dir}/err`, spec.maxErrorBytes) + await wrapperErrors;
  return { code, stdout: out.text, stderr, overflow: out.overflow };
}

/**
 * Reads `dir/out` until `ended` settles: streamed to `onChunk` as it grows (from byte `from`),
 * or kept (up to `limit` bytes) and returned. Shared by a spawn and by an agent that collects a command it
 * spawned before a restart.
 *
 * @example
 * ```ts ignore
 * import { followSpool } from "./child_run.ts";
 * const { text } = await followSpool(dir, 1 << 20, child.status, undefined, () => {});
 * ```
 */
export async function followSpool(
  dir: string,
  limit: number,
  ended: Promise<unknown>,
  onChunk: ((c: Uint8Array) => void | Promise<void>) | undefined,
  onOverflow: () => void,
  from = 0,
): Promise<{ text: string; overflow: boolean }> {
  let done = false;
  ended.finally(() => done = true);
  let offset = from;
  let overflow = false;
  const poll = async () => {
    if (onChunk) {
      for (const chunk of readFrom(`${dir}/out`, offset)) {
        offset += chunk.length;
        await onChunk(chunk);
      }
    } else if (!overflow && fileSize(`${dir}/out`) > limit) {
      overflow = true;
      onOverflow();
    }
  };
  while (!done) {
    await Promise.race([ended, new Promise((r) => setTimeout(r, SPOOL_POLL_MS))]);
    await poll();
  }
  await poll();
  if (onChunk) return { text: "", overflow };
  if (fileSize(`${dir}/out`) > limit) overflow = true;
  return { text: overflow ? "" : readSpoolFile(`${dir}/out`, limit), overflow };
}

/** The exit status in `dir/code` (a number and a newline), or undefined. */
export function readSpoolCode(dir: string): number | undefined {
  const text = readSpoolFile(`${dir}/code`, 16);
  const match = /^(\d{1,3})\n$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

/** At most `limit` bytes of `path` as text; "" when it cannot be read. */
export function readSpoolFile(path: string, limit: number): string {
  try {
    using file = Deno.openSync(path);
    const buffer = new Uint8Array(Math.min(limit, Math.max(fileSize(path), 0)));
    let at = 0;
    while (at < buffer.length) {
      const n = file.readSync(buffer.subarray(at));
      if (n === null || n === 0) break;
      at += n;
    }
    return decoder.decode(buffer.subarray(0, at));
  } catch {
    return "";
  }
}

/** The bytes of `path` from `offset` on, in chunks of at most 64 KiB. */
function* readFrom(path: string, offset: number): Generator<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path);
  } catch {
    return;
  }
  try {
    file.seekSync(offset, Deno.SeekMode.Start);
    while (true) {
      const buffer = new Uint8Array(64 * 1024);
      const n = file.readSync(buffer);
      if (n === null || n === 0) return;
      yield buffer.subarray(0, n);
    }
  } finally {
    file.close();
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
