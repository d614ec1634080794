import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/** Options of {@linkcode followFile}. */
export interface FollowFileOptions {
  /** Stops following. */
  signal: AbortSignal;
  /** Gets the text appended to the file, in order; awaited before more is read. */
  onText: (text: string) => Promise<void>;
  /** How often the file is checked for growth, rotation and truncation (default 150 ms). */
  pollMs?: number;
}

/**
 * Follows the file at `path` like `tail -F`: from its current end, hands every byte appended
 * afterwards to `onText` until `signal` aborts. When the file is rotated (renamed and a new one
 * created at `path`) the rest of the old file is read and the new one followed from its start;
 * when it is truncated, reading starts again from its start.
 *
 * Polling `stat` is used rather than file-system events: it behaves the same on every platform
 * and file system (events miss changes on network file systems), and costs one `stat` per poll.
 *
 * Only regular files are followed. A FIFO, a device or a socket could block the open or a read
 * in a thread that no signal reaches (a FIFO with no writer blocked the agent's stop): the file
 * is opened without blocking (`O_NONBLOCK`), checked, and refused if it is not a regular file.
 *
 * @throws {Deno.errors.NotFound} when `path` does not exist at the start.
 * @throws {NotRegularFileError} when `path` is (or is rotated into) something else than a file.
 * @example
 * ```ts ignore
 * import { followFile } from "./follow_file.ts";
 * await followFile("/var/log/syslog", {
 *   signal: AbortSignal.timeout(10_000),
 *   onText: async (text) => console.log(text),
 * });
 * ```
 */
export async function followFile(path: string, options: FollowFileOptions): Promise<void> {
  const { signal, onText } = options;
  const pollMs = options.pollMs ?? 150;
  let opened = await openRegular(path);
  let offset = opened.size;
  let decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);

  const readToEnd = async () => {
    while (true) {
      const { bytesRead } = await opened.file.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      await onText(decoder.decode(buffer.subarray(0, bytesRead), { stream: true }));
    }
  };

  try {
    while (!signal.aborted) {
      const now = await opened.file.stat();
      if (now.size < offset) offset = 0; // Truncated: what is there now is new.
      if (now.size > offset) await readToEnd();
      let atPath: Deno.FileInfo | undefined;
      try {
        atPath = await Deno.stat(path);
      } catch {
        // Between a rename and the new file's creation: keep reading the old one.
      }
      if (atPath && (atPath.ino !== opened.ino || atPath.dev !== opened.dev)) {
        await readToEnd(); // Lines written to the old file just before the rotation.
        const tail = decoder.decode();
        if (tail) await onText(tail);
        await opened.file.close();
        opened = await openRegular(path);
        offset = 0;
        decoder = new TextDecoder();
        continue;
      }
      await sleep(pollMs, signal);
    }
  } finally {
    await opened.file.close().catch(() => {});
  }
}

/** Thrown by {@linkcode followFile} for a path that is not a regular file. */
export class NotRegularFileError extends Error {}

interface OpenedFile {
  file: FileHandle;
  size: number;
  ino: number | null;
  dev: number;
}

/** Opens `path` without ever blocking, and keeps it only if it is a regular file. */
async function openRegular(path: string): Promise<OpenedFile> {
  let file: FileHandle;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") {
      throw new Deno.errors.NotFound(`no such file: ${path}`);
    }
    throw err;
  }
  const info = await file.stat();
  if (!info.isFile()) {
    await file.close();
    const kind = info.isFIFO()
      ? "a FIFO"
      : info.isCharacterDevice() || info.isBlockDevice()
      ? "a device"
      : info.isSocket()
      ? "a socket"
      : info.isDirectory()
      ? "a folder"
      : "not a file";
    throw new NotRegularFileError(
      `${path} is ${kind}, not a regular file (only regular files can be followed: reading ` +
        "anything else can block past methodTimeout)",
    );
  }
  return { file, size: info.size, ino: info.ino, dev: info.dev };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
