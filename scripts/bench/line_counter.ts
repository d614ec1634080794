/**
 * Counts the lines of a file that another process appends to, reading only what was added
 * since the last look, so that waiting for the 100 000th line stays cheap.
 *
 * @module
 */

/**
 * Follows `path` (which may not exist yet) and counts its newline characters.
 *
 * @example
 * ```ts ignore
 * import { LineCounter } from "./line_counter.ts";
 * const pongs = new LineCounter("/tmp/central/data/ping/ship1/pong.log");
 * await pongs.waitFor(1000);
 * pongs.close();
 * ```
 */
export class LineCounter {
  readonly path: string;
  lines = 0;
  #file: Deno.FsFile | undefined;
  #buf = new Uint8Array(256 * 1024);

  constructor(path: string) {
    this.path = path;
  }

  /** Reads what was appended and returns the line count. */
  async poll(): Promise<number> {
    if (!this.#file) {
      try {
        this.#file = await Deno.open(this.path, { read: true });
      } catch {
        return this.lines;
      }
    }
    for (;;) {
      const n = await this.#file.read(this.#buf);
      if (n === null || n === 0) return this.lines;
      for (let i = 0; i < n; i++) if (this.#buf[i] === 0x0a) this.lines++;
    }
  }

  /**
   * Waits until at least `lines` lines are there and returns the moment (`performance.now()`)
   * the count was seen; throws after `timeoutMs`. Once the file exists it is watched (inotify),
   * so the moment is accurate to well under a millisecond without burning CPU on polling;
   * `everyMs` is the fallback poll interval.
   */
  async waitFor(
    lines: number,
    options: { everyMs?: number; timeoutMs?: number } = {},
  ): Promise<number> {
    const deadline = performance.now() + (options.timeoutMs ?? 120_000);
    while ((await this.poll()) < lines) {
      if (performance.now() > deadline) {
        throw new Error(`only ${this.lines} of ${lines} lines in ${this.path}`);
      }
      await this.#changed(options.everyMs ?? 20);
    }
    return performance.now();
  }

  #watcher: Deno.FsWatcher | undefined;
  #nextEvent: Promise<unknown> | undefined;

  /** Resolves when the file changes, or after `ms`. */
  #changed(ms: number): Promise<unknown> {
    if (!this.#watcher && this.#file) {
      this.#watcher = Deno.watchFs(this.path, { recursive: false });
    }
    if (this.#watcher && !this.#nextEvent) {
      const it = this.#watcher[Symbol.asyncIterator]();
      this.#nextEvent = it.next().finally(() => this.#nextEvent = undefined);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise((r) => timer = setTimeout(r, ms));
    return Promise.race([timeout, ...(this.#nextEvent ? [this.#nextEvent] : [])]).finally(() =>
      clearTimeout(timer)
    );
  }

  /** Closes the file. */
  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#file?.close();
    this.#file = undefined;
  }
}
