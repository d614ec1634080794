/**
 * An append-only log file with a size limit: past `maxBytes` it is renamed `<path>.1` (the
 * older ones shift to `.2` … `.<maxFiles>`, the oldest is deleted) and a new file is started.
 * So a log never takes more than about `maxBytes × (maxFiles + 1)` of disk, whatever is
 * written to it. Files are created 0600.
 *
 * @module
 */

/** Limits of a {@linkcode RotatingLog}. */
export interface RotatingLogOptions {
  /** Size at which the file is rotated, in bytes. */
  maxBytes: number;
  /** Rotated files kept (`<path>.1` … `<path>.<maxFiles>`); 0 keeps none. */
  maxFiles: number;
}

/**
 * Appends to a log file and rotates it at a size limit. Writes must not overlap: the caller
 * awaits each {@linkcode RotatingLog.append} before the next (the audit log batches lines).
 *
 * @example
 * ```ts
 * import { RotatingLog } from "./rotating_log.ts";
 * const dir = await Deno.makeTempDir();
 * const log = await RotatingLog.open(`${dir}/audit.log`, { maxBytes: 4096, maxFiles: 2 });
 * await log.append(new TextEncoder().encode("a line\n"));
 * log.close();
 * ```
 */
export class RotatingLog {
  readonly path: string;
  #options: RotatingLogOptions;
  #file: Deno.FsFile;
  #size: number;

  private constructor(path: string, options: RotatingLogOptions, file: Deno.FsFile, size: number) {
    this.path = path;
    this.#options = options;
    this.#file = file;
    this.#size = size;
  }

  /**
   * Opens (creating if needed, 0600) the log at `path` for appending.
   *
   * @throws {Deno.errors.PermissionDenied} and other file errors, as `Deno.open` does.
   */
  static async open(path: string, options: RotatingLogOptions): Promise<RotatingLog> {
    const file = await openForAppend(path);
    let size = (await file.stat()).size;
    if (size > 0 && !(await endsWithNewline(path, size))) {
      // A line torn by a crash (kill -9 mid-write): ended here, so that the first line of this
      // process does not run on from it and both stay unreadable.
      size += await file.write(new TextEncoder().encode("\n"));
    }
    return new RotatingLog(path, options, file, size);
  }

  /** Bytes in the current file. */
  get size(): number {
    return this.#size;
  }

  /**
   * Writes `bytes` whole at the end of the log, rotating first when they would take the file
   * past `maxBytes` (a write bigger than the limit goes whole into a fresh file).
   *
   * @throws {Error} when the write fails, or when the file could not be rotated: the bytes are
   * then still written, past the limit (a log line lost is worse than a file too big).
   */
  async append(bytes: Uint8Array): Promise<void> {
    let rotation: unknown;
    if (this.#size > 0 && this.#size + bytes.length > this.#options.maxBytes) {
      await this.#rotate().catch((err) => rotation = err);
    }
    let written = 0;
    try {
      // A small write into the page cache is made on this thread: handed to a worker, it costs
      // a wake-up several times the write itself (the audit log of each message, every node).
      if (bytes.length <= SYNC_WRITE_MAX) {
        while (written < bytes.length) written += this.#file.writeSync(bytes.subarray(written));
      }
      while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
    } catch (err) {
      throw new Error(`cannot write ${this.path}: ${errorText(err)}`);
    } finally {
      this.#size += written;
    }
    if (rotation !== undefined) {
      throw new Error(
        `cannot rotate ${this.path} (written past its limit instead): ${errorText(rotation)}`,
      );
    }
  }

  async #rotate(): Promise<void> {
    this.#file.close();
    const { maxFiles } = this.#options;
    const name = (n: number) => n === 0 ? this.path : `${this.path}.${n}`;
    try {
      await removeIfThere(name(maxFiles));
      for (let n = maxFiles - 1; n >= 0; n--) await renameIfThere(name(n), name(n + 1));
    } finally {
      // Whatever failed above, appending goes on (to the old file if it could not be moved).
      this.#file = await openForAppend(this.path);
      this.#size = (await this.#file.stat()).size;
    }
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}

/**
 * Appends `bytes` to the log at `path` (created 0600) on the calling thread, when that does not
 * take it past `options.maxBytes`; returns false, having written nothing, when the log must be
 * rotated first (use {@linkcode RotatingLog} then). For a log opened for one line at a time
 * (a hello log per node): a few small system calls, where the asynchronous ones each cost a
 * worker thread's wake-up, several times the call itself.
 *
 * @example
 * ```ts
 * import { appendUnlessFull } from "./rotating_log.ts";
 * const path = `${await Deno.makeTempDir()}/hello.log`;
 * appendUnlessFull(path, new TextEncoder().encode("a\n"), { maxBytes: 1024, maxFiles: 4 }); // true
 * ```
 */
export function appendUnlessFull(
  path: string,
  bytes: Uint8Array,
  options: RotatingLogOptions,
): boolean {
  const file = Deno.openSync(path, { read: true, append: true, create: true, mode: 0o600 });
  try {
    const info = file.statSync();
    // A FIFO or device put there would block the thread or swallow the log.
    if (!info.isFile) throw new Error(`cannot append to ${path}: not a regular file`);
    const size = info.size;
    if (size > 0 && size + bytes.length + 1 > options.maxBytes) return false;
    let text = bytes;
    if (size > 0) {
      // A line torn by a crash is ended first, as RotatingLog.open does.
      file.seekSync(size - 1, Deno.SeekMode.Start);
      const last = new Uint8Array(1);
      if (file.readSync(last) !== 1 || last[0] !== 0x0a) text = concat(NEWLINE, bytes);
    }
    let written = 0;
    while (written < text.length) written += file.writeSync(text.subarray(written));
    return true;
  } finally {
    file.close();
  }
}

const NEWLINE = new TextEncoder().encode("\n");

/** Writes up to this size are made on the calling thread (see `RotatingLog.append`). */
const SYNC_WRITE_MAX = 64 * 1024;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function openForAppend(path: string): Promise<Deno.FsFile> {
  const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
  return file;
}

async function removeIfThere(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

async function renameIfThere(from: string, to: string): Promise<void> {
  try {
    await Deno.rename(from, to);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

async function endsWithNewline(path: string, size: number): Promise<boolean> {
  const file = await Deno.open(path, { read: true });
  try {
    await file.seek(size - 1, Deno.SeekMode.Start);
    const last = new Uint8Array(1);
    return (await file.read(last)) === 1 && last[0] === 0x0a;
  } finally {
    file.close();
  }
}
