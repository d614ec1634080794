/**
 * Writes reply files for a node: in arrival order per file, never interleaved, with the
 * appends that queue up while a write is in progress coalesced into one write.
 *
 * @module
 */
import { dirname } from "node:path";

// A write this small is made on the main thread: handing it to a worker thread costs a
// wake-up of 0.3–0.8 ms on this VM, ten times the write into the page cache itself. Only to a
// regular file (opening a FIFO with no reader would block the whole agent), and not in a
// burst: there the worker's write lets the appends that arrive meanwhile join the next one
// (1000 pongs as 1000 synchronous open+write+close cost 0.15 s of the 1000-ping run).
const SYNC_WRITE_MAX = 64 * 1024;
const BURST_GAP_MS = 1;

function regularOrAbsent(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch (err) {
    return err instanceof Deno.errors.NotFound;
  }
}

interface Pending {
  /** True when the batch starts by replacing the file's content. */
  replace: boolean;
  chunks: string[];
  done: PromiseWithResolvers<void>;
}

interface FileState {
  pending: Pending | undefined;
  writing: Promise<void>;
}

/**
 * The reply-file writer of one node. 1000 pongs arriving together used to cost 1000
 * mkdir+open+write+close in a chain (a third of the time of the 1000-ping run); now they cost
 * a few writes. Folders are created once and again only if a write finds them gone.
 *
 * @example
 * ```ts
 * import { ReplyFiles } from "./reply_files.ts";
 * const dir = await Deno.makeTempDir();
 * const files = new ReplyFiles();
 * await Promise.all([
 *   files.write(`${dir}/ping/ship1/pong.log`, "a\n", "append"),
 *   files.write(`${dir}/ping/ship1/pong.log`, "b\n", "append"),
 * ]);
 * console.assert((await Deno.readTextFile(`${dir}/ping/ship1/pong.log`)) === "a\nb\n");
 * ```
 */
export class ReplyFiles {
  #files = new Map<string, FileState>();
  #folders = new Set<string>();
  #lastWriteAt = -Infinity;

  /**
   * Appends `content` to `path`, or replaces the file with it; resolves once it is written.
   * Writes to one path happen in the order of the calls.
   */
  write(path: string, content: string, mode: "write" | "append"): Promise<void> {
    let file = this.#files.get(path);
    if (!file) {
      file = { pending: undefined, writing: Promise.resolve() };
      this.#files.set(path, file);
    }
    if (!file.pending) {
      const batch: Pending = { replace: false, chunks: [], done: Promise.withResolvers() };
      file.pending = batch;
      const state = file;
      // Runs after the write in progress: everything queued by then goes in one write.
      state.writing = state.writing.then(() => this.#flush(path, state, batch));
    }
    if (mode === "write") {
      // A replacement makes whatever was queued before it irrelevant.
      file.pending.replace = true;
      file.pending.chunks = [content];
    } else file.pending.chunks.push(content);
    return file.pending.done.promise;
  }

  /** Resolves once every write requested so far has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.#files.values()].map((f) => f.writing));
  }

  async #flush(path: string, state: FileState, batch: Pending): Promise<void> {
    state.pending = undefined;
    try {
      await this.#writeOnce(path, batch.chunks.join(""), !batch.replace);
      batch.done.resolve();
    } catch (err) {
      this.#folders.delete(dirname(path));
      batch.done.reject(err);
    }
    if (!state.pending && this.#files.get(path) === state) this.#files.delete(path);
  }

  async #writeOnce(path: string, text: string, append: boolean): Promise<void> {
    const folder = dirname(path);
    if (!this.#folders.has(folder)) {
      await Deno.mkdir(folder, { recursive: true });
      this.#folders.add(folder);
    }
    try {
      const now = performance.now();
      const burst = now - this.#lastWriteAt < BURST_GAP_MS;
      this.#lastWriteAt = now;
      if (!burst && text.length <= SYNC_WRITE_MAX && regularOrAbsent(path)) {
        Deno.writeTextFileSync(path, text, { append });
      } else await Deno.writeTextFile(path, text, { append });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      // The folder was removed since we made it: make it again, once.
      await Deno.mkdir(folder, { recursive: true });
      await Deno.writeTextFile(path, text, { append });
    }
  }
}
