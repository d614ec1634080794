/**
 * Writes reply files for a node: in arrival order per file, never interleaved, with the
 * appends that queue up while a write is in progress coalesced into one write, and never
 * through a symbolic link (which could lead out of the data folder).
 *
 * @module
 */
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { PRIVATE_MODES, type TreeModes } from "../store/file_modes.ts";

// A write this small is made on the main thread: handing it to a worker thread costs a
// wake-up of 0.3–0.8 ms on this VM, ten times the write into the page cache itself. Only to a
// regular file (opening a FIFO with no reader would block the whole agent), and not in a
// burst to the same file: there the worker's write lets the appends that arrive meanwhile join
// the next one (1000 pongs as 1000 synchronous open+write+close cost 0.15 s of the 1000-ping
// run). A burst over many files (a fan-out's replies, one file per node) gains nothing from it
// and pays the wake-up for each: measured, 1000 appends to 1000 files took 16 ms of CPU
// written here and 77 ms handed to the worker.
const SYNC_WRITE_MAX = 64 * 1024;
const BURST_GAP_MS = 1;

/** Thrown when a reply file would be written through a link or onto something not a file. */
export class UnsafeReplyFileError extends Error {
  override name = "UnsafeReplyFileError";
}

function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

const LINK_REFUSED = "is a symbolic link; reply files are never written through links " +
  "(they could lead out of the data folder)";

interface Pending {
  /** True when the batch starts by replacing the file's content. */
  replace: boolean;
  chunks: string[];
  /** The message id of each chunk, when the caller gave one (see {@linkcode WriteLedger}). */
  ids: (string | undefined)[];
  done: PromiseWithResolvers<void>;
}

/**
 * Told where each append of a message goes before it is written: the message id, the file,
 * the offset and the length in bytes. After a crash this, not the file's content, tells
 * whether the append was made (see `Recovery.appendOnce`). It must be written before the
 * append reaches the kernel; when it throws, nothing is written.
 */
export interface WriteLedger {
  place(id: string, path: string, offset: number, length: number): void;
}

interface FileState {
  pending: Pending | undefined;
  writing: Promise<void>;
}

/**
 * The reply-file writer of one node, confined to its data folder `root`. 1000 pongs arriving
 * together used to cost 1000 mkdir+open+write+close in a chain (a third of the time of the
 * 1000-ping run); now they cost a few writes. Folders are created once (mode 0700, or
 * `modes.folder`) and again only if a write finds them gone.
 *
 * Confinement: every folder from `root` down is created or checked with `lstat` and refused if
 * it is a link; the file itself must be a regular file or absent. A link swapped in between the
 * check and the open is caught after the open, before anything is written: the opened file
 * must be the one `lstat` finds at the path (same device and inode) and its folder must still
 * resolve to the folder checked. New files are created 0600 (or `modes.file`).
 *
 * @example
 * ```ts
 * import { ReplyFiles } from "./reply_files.ts";
 * const dir = await Deno.makeTempDir();
 * const files = new ReplyFiles(dir);
 * await Promise.all([
 *   files.write(`${dir}/ping/ship1/pong.log`, "a\n", "append"),
 *   files.write(`${dir}/ping/ship1/pong.log`, "b\n", "append"),
 * ]);
 * console.assert((await Deno.readTextFile(`${dir}/ping/ship1/pong.log`)) === "a\nb\n");
 * ```
 */
export class ReplyFiles {
  #files = new Map<string, FileState>();
  /** Folders checked (or made) from the root down, with the folder each resolved to then. */
  #folders = new Map<string, FolderId>();
  /** When each path was last written, while that is less than BURST_GAP_MS ago. */
  #lastWrites = new Map<string, number>();
  #root: string;
  #realRoot: string | undefined;
  #modes: TreeModes;

  /** A writer for files under `root`, created with `modes` (default 0600 files, 0700 folders). */
  constructor(root: string, modes: TreeModes = PRIVATE_MODES, ledger?: WriteLedger) {
    this.#root = root;
    this.#modes = modes;
    this.#ledger = ledger;
  }

  #ledger: WriteLedger | undefined;

  /**
   * Appends `content` to `path`, or replaces the file with it; resolves once it is written.
   * Writes to one path happen in the order of the calls. An append with the `id` of its
   * message is placed in the ledger first.
   */
  write(path: string, content: string, mode: "write" | "append", id?: string): Promise<void> {
    let file = this.#files.get(path);
    if (!file) {
      file = { pending: undefined, writing: Promise.resolve() };
      this.#files.set(path, file);
    }
    if (!file.pending) {
      const batch: Pending = {
        replace: false,
        chunks: [],
        ids: [],
        done: Promise.withResolvers(),
      };
      file.pending = batch;
      const state = file;
      // Runs after the write in progress: everything queued by then goes in one write.
      state.writing = state.writing.then(() => this.#flush(path, state, batch));
    }
    if (mode === "write") {
      // A replacement makes whatever was queued before it irrelevant.
      file.pending.replace = true;
      file.pending.chunks = [content];
      file.pending.ids = [undefined];
    } else {
      file.pending.chunks.push(content);
      file.pending.ids.push(id);
    }
    return file.pending.done.promise;
  }

  /** Resolves once every write requested so far has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.#files.values()].map((f) => f.writing));
  }

  async #flush(path: string, state: FileState, batch: Pending): Promise<void> {
    state.pending = undefined;
    try {
      await this.#writeOnce(path, batch, !batch.replace);
      batch.done.resolve();
    } catch (err) {
      this.#folders.delete(dirname(path));
      batch.done.reject(err);
    }
    if (!state.pending && this.#files.get(path) === state) this.#files.delete(path);
  }

  /**
   * Reads the reply file at `path` under the same rules as a write (no link on the way);
   * returns "" when it does not exist.
   *
   * @throws {UnsafeReplyFileError} when a link or something not a file is in the way.
   */
  async read(path: string): Promise<string> {
    const folder = dirname(path);
    let id: FolderId;
    try {
      id = this.#checkFolder(folder, false);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return "";
      throw err;
    }
    const before = this.#checkFile(path);
    if (!before || before.isFifo) return "";
    const file = await Deno.open(path, { read: true });
    try {
      this.#checkOpened(file, path, before, folder, id);
      return await new Response(file.readable).text();
    } catch (err) {
      file.close();
      throw err;
    }
  }

  async #writeOnce(path: string, batch: Pending, append: boolean): Promise<void> {
    try {
      await this.#writeChecked(path, batch, append);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound || err instanceof FolderChangedError)) throw err;
      // The folder was removed (or replaced) since we checked it: check or make it again, once.
      this.#folders.delete(dirname(path));
      await this.#writeChecked(path, batch, append);
    }
  }

  /**
   * The size of the reply file at `path`, under the same rules as a write; 0 when it does not
   * exist.
   *
   * @throws {UnsafeReplyFileError} when a link or something not a file is in the way.
   */
  size(path: string): number {
    try {
      this.#checkFolder(dirname(path), false);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return 0;
      throw err;
    }
    const info = this.#checkFile(path);
    return info && !info.isFifo ? info.size : 0;
  }

  /**
   * Cuts the reply file at `path` back to `length` bytes (an append torn by a crash), under the
   * same rules as a write.
   *
   * @throws {UnsafeReplyFileError} when a link or something not a file is in the way.
   */
  truncate(path: string, length: number): void {
    const folder = dirname(path);
    const id = this.#checkFolder(folder, false);
    const before = this.#checkFile(path);
    if (!before || before.isFifo) return;
    const file = Deno.openSync(path, { write: true });
    try {
      this.#checkOpened(file, path, before, folder, id);
      file.truncateSync(length);
    } finally {
      file.close();
    }
  }

  /** Notes a write to `path` at `now`, forgetting writes too old to make a burst. */
  #noteWrite(path: string, now: number): void {
    if (this.#lastWrites.size >= 256) {
      for (const [p, at] of this.#lastWrites) {
        if (now - at >= BURST_GAP_MS) this.#lastWrites.delete(p);
      }
    }
    this.#lastWrites.set(path, now);
  }

  async #writeChecked(path: string, batch: Pending, append: boolean): Promise<void> {
    const folder = dirname(path);
    const cached = this.#folders.get(folder);
    // A folder checked earlier must still be that folder: if a link replaced it since, even the
    // open below (which creates the file) must not happen.
    if (cached) this.#sameFolder(folder, cached);
    const id = cached ?? this.#checkFolder(folder, true);
    const before = this.#checkFile(path);
    // Opening a FIFO with no reader blocks: only ever off the main thread.
    const fifo = before?.isFifo === true;
    // Never truncating at open: until the checks below pass, nothing of the file changes.
    const options = { write: true, create: true, append, mode: this.#modes.file };
    const file = fifo ? await Deno.open(path, options) : Deno.openSync(path, options);
    try {
      this.#checkOpened(file, path, before, folder, id);
      if (!before && (this.#modes.file & 0o077)) Deno.chmodSync(path, this.#modes.file);
      if (!append && !fifo) file.truncateSync(0);
      const bytes = this.#placed(path, file, batch, append && !fifo);
      const now = performance.now();
      const burst = now - (this.#lastWrites.get(path) ?? -Infinity) < BURST_GAP_MS;
      this.#noteWrite(path, now);
      if (!fifo && !burst && bytes.length <= SYNC_WRITE_MAX) {
        let written = 0;
        while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
      } else {
        let written = 0;
        while (written < bytes.length) written += await file.write(bytes.subarray(written));
      }
    } finally {
      file.close();
    }
  }

  /**
   * The bytes of `batch`; with `place`, each chunk of a message is first placed in the ledger
   * at the offset it will have.
   */
  #placed(path: string, file: Deno.FsFile, batch: Pending, place: boolean): Uint8Array {
    if (!place || !this.#ledger || batch.ids.every((id) => id === undefined)) {
      return encoder.encode(batch.chunks.join(""));
    }
    const parts = batch.chunks.map((c) => encoder.encode(c));
    let at = file.statSync().size;
    for (const [i, part] of parts.entries()) {
      const id = batch.ids[i];
      if (id !== undefined) this.#ledger.place(id, path, at, part.length);
      at += part.length;
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.length;
    }
    return bytes;
  }

  /**
   * Checks (and with `create`, makes) each folder from the root down to `folder`, refusing a
   * link or a non-folder on the way; returns the folder `folder` must keep resolving to.
   */
  #checkFolder(folder: string, create: boolean): FolderId {
    const rel = relative(this.#root, folder);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new UnsafeReplyFileError(`"${folder}" is outside the data folder "${this.#root}"`);
    }
    this.#realRoot ??= Deno.realPathSync(this.#root);
    let at = this.#root;
    for (const part of rel.split(sep).filter((p) => p !== "" && p !== ".")) {
      at = join(at, part);
      let info = lstatOrUndefined(at);
      if (!info) {
        if (!create) throw new Deno.errors.NotFound(`"${at}" does not exist`);
        try {
          Deno.mkdirSync(at, { mode: this.#modes.folder });
        } catch (err) {
          if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
        }
        info = Deno.lstatSync(at);
      }
      if (info.isSymlink) throw new UnsafeReplyFileError(`"${at}" ${LINK_REFUSED}`);
      if (!info.isDirectory) throw new UnsafeReplyFileError(`"${at}" is not a folder`);
    }
    const real = rel === "" ? this.#realRoot : join(this.#realRoot, rel);
    if (Deno.realPathSync(folder) !== real) {
      throw new UnsafeReplyFileError(`"${folder}" does not resolve inside the data folder`);
    }
    const { dev, ino } = Deno.statSync(folder);
    const id = { dev, ino };
    if (create) this.#folders.set(folder, id);
    return id;
  }

  /** The file's `lstat`, or undefined when absent; refuses a link or a non-regular file. */
  #checkFile(path: string): Deno.FileInfo | undefined {
    const info = lstatOrUndefined(path);
    if (info?.isSymlink) throw new UnsafeReplyFileError(`"${path}" ${LINK_REFUSED}`);
    // A FIFO is a reader's choice; a device or a folder is not a reply file.
    if (info && !info.isFile && !info.isFifo) {
      throw new UnsafeReplyFileError(`"${path}" is not a regular file`);
    }
    return info;
  }

  /**
   * After the open, before anything is written: the file opened is the one at `path` (the one
   * `lstat` saw before the open, or, for a new file, the one there now), and `folder` is still
   * the folder checked. A folder checked once and replaced by a link since is caught here too.
   * Two system calls a write at most, rather than a `realpath` walk each time.
   */
  #checkOpened(
    file: Deno.FsFile,
    path: string,
    before: Deno.FileInfo | undefined,
    folder: string,
    id: FolderId,
  ): void {
    const opened = file.statSync();
    const expected = before ?? Deno.lstatSync(path);
    if (expected.isSymlink) throw new UnsafeReplyFileError(`"${path}" ${LINK_REFUSED}`);
    if (
      opened.dev !== expected.dev || opened.ino !== expected.ino ||
      !(opened.isFile || opened.isFifo)
    ) {
      throw new UnsafeReplyFileError(`"${path}" was replaced while it was opened`);
    }
    // A hard link made by someone else would let a write land in a file outside the folder.
    if (opened.isFile && (opened.nlink ?? 1) > 1) {
      throw new UnsafeReplyFileError(`"${path}" has other hard links; it is not written through`);
    }
    this.#sameFolder(folder, id);
  }

  #sameFolder(folder: string, id: FolderId): void {
    const now = Deno.statSync(folder);
    if (now.dev !== id.dev || now.ino !== id.ino) {
      this.#folders.delete(folder);
      throw new FolderChangedError(`"${folder}" was replaced since it was checked`);
    }
  }
}

/** A folder's identity: what its path must keep resolving to. */
interface FolderId {
  dev: number;
  ino: number | null;
}

/** The folder checked earlier is not the one at its path now: check it again from the root. */
class FolderChangedError extends UnsafeReplyFileError {
  override name = "FolderChangedError";
}

const encoder = new TextEncoder();
