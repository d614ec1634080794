/**
 * Central's per-node hello log: a line for every hello, as the original appends them, so an
 * operator can see when a node went quiet and when it came back.
 *
 * @module
 */
import { join } from "node:path";
import { appendUnlessFull, RotatingLog, type RotatingLogOptions } from "../rotating_log.ts";
import { PRIVATE_FOLDER_MODE } from "./file_modes.ts";

/** Size limits of each node's hello log: about a month of hellos every 30 s, in 5 files. */
export const HELLO_LOG_LIMITS: RotatingLogOptions = { maxBytes: 1024 * 1024, maxFiles: 4 };

/** Options of {@linkcode HelloLog}. */
export interface HelloLogOptions extends Partial<RotatingLogOptions> {
  /** Mode of the folders it creates (default 0700). */
  folderMode?: number;
}

/**
 * Appends a line per hello to `<folder>/<node>/hello.log`, rotated past a size limit like the
 * audit log (`hello.log.1` … `hello.log.<maxFiles>`). Appends for one node are made one after
 * the other; the file is opened for each (hellos are seconds apart) so that no handle is held
 * per node. A node name is a NATS subject token (no `/`, no `..`), checked before it gets here;
 * a link in place of the node's folder or file is refused, never followed.
 *
 * @example
 * ```ts
 * import { HelloLog } from "./hello_log.ts";
 * const dir = await Deno.makeTempDir();
 * const log = new HelloLog(dir);
 * await log.append("ship1", "2026-12-01T10:00:00.000Z hello from ship1\n");
 * console.assert((await Deno.readTextFile(`${dir}/ship1/hello.log`)).endsWith("ship1\n"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class HelloLog {
  readonly #folder: string;
  readonly #limits: RotatingLogOptions;
  readonly #folderMode: number;
  /** The append in progress per node, so that two never overlap. */
  readonly #queues = new Map<string, Promise<void>>();

  /** A log under `folder` (central's `<subscribersDataFolder>/hello-messages`). */
  constructor(folder: string, options: HelloLogOptions = {}) {
    this.#folder = folder;
    this.#limits = {
      maxBytes: options.maxBytes ?? HELLO_LOG_LIMITS.maxBytes,
      maxFiles: options.maxFiles ?? HELLO_LOG_LIMITS.maxFiles,
    };
    this.#folderMode = options.folderMode ?? PRIVATE_FOLDER_MODE;
  }

  /**
   * Appends `line` to the hello log of `node`.
   *
   * @throws {Error} when the folder or file cannot be written, or is a link.
   */
  append(node: string, line: string): Promise<void> {
    const before = this.#queues.get(node) ?? Promise.resolve();
    const mine = before.catch(() => {}).then(() => this.#append(node, line));
    const tail = mine.catch(() => {});
    this.#queues.set(node, tail);
    // The queue holds only nodes with an append in progress.
    tail.then(() => {
      if (this.#queues.get(node) === tail) this.#queues.delete(node);
    });
    return mine;
  }

  async #append(node: string, line: string): Promise<void> {
    // Made on this thread: small calls, each cheaper than a worker's wake-up (see
    // appendUnlessFull). At a thousand nodes' hellos this was most of a hello's cost at central.
    const folder = join(this.#folder, node);
    Deno.mkdirSync(folder, { recursive: true, mode: this.#folderMode });
    const path = join(folder, "hello.log");
    for (const p of [this.#folder, folder, path]) refuseLink(p);
    const bytes = new TextEncoder().encode(line);
    if (appendUnlessFull(path, bytes, this.#limits)) return;
    const log = await RotatingLog.open(path, this.#limits);
    try {
      await log.append(bytes);
    } finally {
      log.close();
    }
  }
}

/** Throws when `path` is a symbolic link; a missing path is fine. */
function refuseLink(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (info.isSymlink) throw new Error(`cannot write the hello log: ${path} is a symbolic link`);
}
