/**
 * Hosts the scheduled playbooks of a folder (`-playbooksFolder`): each `*.ts` file whose
 * default export is a playbook with a schedule runs on it through `Deno.cron` (UTC), each run
 * in its own `deno run` subprocess with limited permissions (read its folder, talk to this
 * agent's socket, nothing else), so a playbook cannot harm the agent. Failed runs go to the
 * central error log; a run due while the previous one of the same playbook still runs is
 * skipped.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { CronRegister } from "./dsl/playbook.ts";

/** What the host needs of its node. */
export interface PlaybooksHostOptions {
  /** The folder of `*.ts` playbooks. */
  folder: string;
  /** This agent's unix socket, which the playbooks talk to. */
  socketPath: string;
  /** This node's name (it prefixes the cron job names). */
  nodeName: string;
  /** Sends an error line to the central error log. */
  reportError(text: string): void;
  /** Local status lines. */
  log(line: string): void;
  /** Replaces `Deno.cron` (tests inject time this way). */
  cron?: CronRegister;
  /** The `deno` executable (default: this one, or `deno` on PATH in a compiled agent). */
  deno?: string;
}

/** A hosted playbook, as its file describes itself. */
export interface HostedPlaybook {
  file: string;
  name: string;
  schedule: string | null;
  timeoutSeconds: number;
}

const ENTRY = fileURLToPath(new URL("./playbook_entry.ts", import.meta.url));
const ROOT = dirname(dirname(ENTRY));
const DESCRIBE_TIMEOUT_MS = 60_000;

function denoExecutable(): string {
  const exec = Deno.execPath();
  return /^deno(\.exe)?$/.test(basename(exec)) ? exec : "deno";
}

/** Last lines of a subprocess's error output, for the error log. */
function tail(text: string): string {
  const t = text.trim().split("\n").slice(-5).join(" | ");
  return t.length > 600 ? "…" + t.slice(-600) : t;
}

/** A valid, unique `Deno.cron` name: letters, digits, spaces, `-`, `_`, at most 64. */
function cronName(nodeName: string, playbook: string): string {
  return `steward ${nodeName} ${playbook}`.replace(/[^A-Za-z0-9 _-]/g, "_").slice(0, 64);
}

async function spawn(
  deno: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; signal: AbortSignal },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(deno, {
    args,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  options.signal.addEventListener("abort", kill, { once: true });
  try {
    const out = await child.output();
    return {
      code: options.signal.aborted ? -1 : out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    options.signal.removeEventListener("abort", kill);
  }
}

/**
 * Finds the playbooks of `folder` (`*.ts`, not `*_test.ts`) and reads each one's name and
 * schedule in a subprocess that may only read the folder.
 *
 * @example
 * ```ts ignore
 * import { describePlaybooks } from "./playbooks_host.ts";
 * const found = await describePlaybooks("./playbooks", (file, why) => console.error(file, why));
 * ```
 */
export async function describePlaybooks(
  folder: string,
  failed: (file: string, why: string) => void,
  deno: string = denoExecutable(),
): Promise<HostedPlaybook[]> {
  const dir = resolve(folder);
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      files.push(join(dir, entry.name));
    }
  }
  files.sort();
  const found: HostedPlaybook[] = [];
  for (const file of files) {
    const out = await spawn(deno, [
      "run",
      "--no-prompt",
      "--no-lock",
      "--allow-import",
      `--allow-read=${dir},${ROOT}`,
      ENTRY,
      "describe",
      file,
    ], { cwd: dir, signal: AbortSignal.timeout(DESCRIBE_TIMEOUT_MS) });
    if (out.code !== 0) {
      failed(file, `cannot be loaded (exit code ${out.code}): ${tail(out.stderr)}`);
      continue;
    }
    try {
      const d = JSON.parse(out.stdout.trim().split("\n").at(-1) ?? "");
      found.push({ file, name: d.name, schedule: d.schedule, timeoutSeconds: d.timeoutSeconds });
    } catch {
      failed(file, `printed something unexpected while loading: ${tail(out.stdout)}`);
    }
  }
  return found;
}

/**
 * Runs one hosted playbook once, in a subprocess that may read its folder and talk to the
 * agent's socket, and nothing else; it is killed after its `timeoutSeconds`.
 *
 * @returns undefined on success, or why the run failed.
 * @example
 * ```ts ignore
 * import { runHostedPlaybook } from "./playbooks_host.ts";
 * const why = await runHostedPlaybook(playbook, "/srv/steward/tmp/steward.sock");
 * ```
 */
export async function runHostedPlaybook(
  playbook: HostedPlaybook,
  socketPath: string,
  options: { deno?: string; signal?: AbortSignal } = {},
): Promise<string | undefined> {
  const socket = resolve(socketPath);
  const timeout = AbortSignal.timeout(playbook.timeoutSeconds * 1000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const out = await spawn(options.deno ?? denoExecutable(), [
    "run",
    "--no-prompt",
    "--no-lock",
    "--allow-import",
    `--allow-read=${dirname(playbook.file)},${ROOT},${socket}`,
    `--allow-write=${socket}`,
    `--allow-net=unix:${socket}`,
    "--allow-env=STEWARD_SOCKET,STEWARD_TCP,STEWARD_HTTP",
    ENTRY,
    "run",
    playbook.file,
  ], { cwd: dirname(playbook.file), env: { STEWARD_SOCKET: socket }, signal });
  if (out.code === 0) return undefined;
  if (timeout.aborted) return `stopped after ${playbook.timeoutSeconds} s (timeoutSeconds)`;
  if (out.code === -1) return "stopped: the agent is stopping";
  return `exit code ${out.code}: ${tail(out.stderr)}`;
}

/**
 * Hosts the scheduled playbooks of `options.folder` until `signal` aborts.
 *
 * @example
 * ```ts ignore
 * import { hostPlaybooks } from "./playbooks_host.ts";
 * node.supervisor.start("ticker", "playbooks", (signal) =>
 *   hostPlaybooks({ folder, socketPath, nodeName, reportError, log }, signal));
 * ```
 */
export async function hostPlaybooks(
  options: PlaybooksHostOptions,
  signal: AbortSignal,
): Promise<void> {
  const deno = options.deno ?? denoExecutable();
  const cron = options.cron ?? (Deno as { cron?: CronRegister }).cron?.bind(Deno);
  if (!cron) {
    options.reportError("playbooks: Deno.cron is not available (run with --unstable-cron)");
    return;
  }
  const playbooks = await describePlaybooks(
    options.folder,
    (file, why) => options.reportError(`playbook ${basename(file)} ${why}`),
    deno,
  );
  const running = new Set<string>();
  const jobs: Promise<void>[] = [];
  for (const pb of playbooks) {
    if (!pb.schedule) continue;
    const label = `playbook ${basename(pb.file)} (${pb.name})`;
    const job = async () => {
      // Never two runs of one playbook at once: a slow run makes the next one skip.
      if (running.has(pb.file)) {
        options.reportError(`${label} skipped a run: the previous run is still running`);
        return;
      }
      running.add(pb.file);
      const started = Date.now();
      try {
        const why = await runHostedPlaybook(pb, options.socketPath, { deno, signal });
        if (why) options.reportError(`${label} failed: ${why}`);
        else options.log(`${label} ran in ${Date.now() - started} ms`);
      } catch (err) {
        options.reportError(`${label} failed: ${(err as Error).message}`);
      } finally {
        running.delete(pb.file);
      }
    };
    try {
      const registered = cron(cronName(options.nodeName, pb.name), pb.schedule, { signal }, job);
      jobs.push(
        registered.catch((err) =>
          options.reportError(`${label} cannot be scheduled: ${(err as Error).message}`)
        ),
      );
      options.log(`${label} scheduled "${pb.schedule}" (UTC)`);
    } catch (err) {
      options.reportError(`${label} cannot be scheduled: ${(err as Error).message}`);
    }
  }
  await Promise.all(jobs);
  if (!signal.aborted) {
    await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
  }
}
