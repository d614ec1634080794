/**
 * Reads central's error log as the web page shows it: the files REQErrorLog appends to,
 * `<subscribersDataFolder>/errorLog/<node>/error.log`, one per node. Reads are bounded: the
 * tail of each file, and what was appended since the last look.
 *
 * @module
 */
import { join } from "node:path";

/** One line of a node's error log. */
export interface ErrorLine {
  node: string;
  line: string;
}

/** Bytes read from the end of a file for its last lines. */
const TAIL_BYTES = 16 * 1024;
/** Most bytes read from one file per look: a flood is shown in part, never held whole. */
const STEP_BYTES = 64 * 1024;
/** Most node folders looked at. */
const MAX_NODES = 10_000;

async function readRange(path: string, from: number, length: number): Promise<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  try {
    await file.seek(from, Deno.SeekMode.Start);
    const buf = new Uint8Array(length);
    let at = 0;
    while (at < length) {
      const n = await file.read(buf.subarray(at));
      if (n === null) break;
      at += n;
    }
    return buf.subarray(0, at);
  } finally {
    file.close();
  }
}

function lines(bytes: Uint8Array, dropFirst: boolean): string[] {
  const all = new TextDecoder().decode(bytes).split("\n");
  if (dropFirst) all.shift();
  return all.filter((l) => l.trim() !== "");
}

/**
 * The error log files of `dataFolder`, by node: regular files only (a link is not followed).
 *
 * @example
 * ```ts
 * import { errorLogFiles } from "./error_log_files.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/errorLog/ship1`, { recursive: true });
 * await Deno.writeTextFile(`${dir}/errorLog/ship1/error.log`, "x\n");
 * console.assert((await errorLogFiles(dir)).get("ship1") === `${dir}/errorLog/ship1/error.log`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function errorLogFiles(dataFolder: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const folder = join(dataFolder, "errorLog");
  try {
    for await (const e of Deno.readDir(folder)) {
      if (!e.isDirectory) continue;
      const path = join(folder, e.name, "error.log");
      const info = await Deno.lstat(path).catch(() => undefined);
      if (info?.isFile) out.set(e.name, path);
      if (out.size >= MAX_NODES) break;
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out;
}

/**
 * The last `count` lines of the file at `path` (from its last 16 KiB), oldest first.
 *
 * @example
 * ```ts
 * import { tailLines } from "./error_log_files.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/e.log`, "a\nb\nc\n");
 * console.assert((await tailLines(`${dir}/e.log`, 2)).join() === "b,c");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function tailLines(path: string, count: number): Promise<string[]> {
  const size = (await Deno.stat(path)).size;
  const from = Math.max(0, size - TAIL_BYTES);
  return lines(await readRange(path, from, size - from), from > 0).slice(-count);
}

/**
 * The last error line of each node with an error log.
 *
 * @example
 * ```ts ignore
 * import { lastErrors } from "./error_log_files.ts";
 * console.log(await lastErrors("./data")); // { ship1: "2026-…, error: node: ship1, …" }
 * ```
 */
export async function lastErrors(dataFolder: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [node, path] of await errorLogFiles(dataFolder)) {
    const [line] = await tailLines(path, 1).catch(() => []);
    if (line !== undefined) out[node] = line;
  }
  return out;
}

/**
 * Follows the error logs of `dataFolder`: first the last `backlog` lines of each file, then
 * every line appended, looking every `intervalMs`, until `signal` aborts. A file that shrank
 * (replaced) is read again from its start.
 *
 * @example
 * ```ts ignore
 * import { followErrorLogs } from "./error_log_files.ts";
 * for await (const e of followErrorLogs("./data", { signal })) console.log(e.node, e.line);
 * ```
 */
export async function* followErrorLogs(
  dataFolder: string,
  options: { signal: AbortSignal; intervalMs?: number; backlog?: number },
): AsyncGenerator<ErrorLine[]> {
  const { signal } = options;
  const offsets = new Map<string, number>();
  const first: ErrorLine[] = [];
  for (const [node, path] of await errorLogFiles(dataFolder)) {
    const size = (await Deno.stat(path).catch(() => undefined))?.size ?? 0;
    offsets.set(node, size);
    for (const line of await tailLines(path, options.backlog ?? 20).catch(() => [])) {
      first.push({ node, line });
    }
  }
  yield first.sort((a, b) => a.line < b.line ? -1 : a.line > b.line ? 1 : 0);
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.intervalMs ?? 1000);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
    if (signal.aborted) return;
    const fresh: ErrorLine[] = [];
    for (const [node, path] of await errorLogFiles(dataFolder)) {
      const size = (await Deno.stat(path).catch(() => undefined))?.size ?? 0;
      let from = offsets.get(node) ?? 0;
      if (size < from) from = 0;
      if (size === from) continue;
      const length = Math.min(size - from, STEP_BYTES);
      const bytes = await readRange(path, from, length).catch(() => new Uint8Array(0));
      // Only whole lines: a line still being written is read on the next look.
      const end = bytes.lastIndexOf(10) + 1;
      const take = end === 0 && length === STEP_BYTES ? length : end;
      offsets.set(node, from + take);
      for (const line of lines(bytes.subarray(0, take), false)) fresh.push({ node, line });
    }
    if (fresh.length > 0) yield fresh;
  }
}
