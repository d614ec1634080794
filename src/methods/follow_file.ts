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
 * @throws {Deno.errors.NotFound} when `path` does not exist at the start.
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
  let file = await Deno.open(path, { read: true });
  let info = await file.stat();
  let offset = info.size;
  let decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);

  const readToEnd = async () => {
    await file.seek(offset, Deno.SeekMode.Start);
    while (true) {
      const n = await file.read(buffer);
      if (n === null || n === 0) return;
      offset += n;
      await onText(decoder.decode(buffer.subarray(0, n), { stream: true }));
    }
  };

  try {
    while (!signal.aborted) {
      const now = await file.stat();
      if (now.size < offset) offset = 0; // Truncated: what is there now is new.
      if (now.size > offset) await readToEnd();
      let atPath: Deno.FileInfo | undefined;
      try {
        atPath = await Deno.stat(path);
      } catch {
        // Between a rename and the new file's creation: keep reading the old one.
      }
      if (atPath && (atPath.ino !== info.ino || atPath.dev !== info.dev)) {
        await readToEnd(); // Lines written to the old file just before the rotation.
        const tail = decoder.decode();
        if (tail) await onText(tail);
        file.close();
        file = await Deno.open(path, { read: true });
        info = await file.stat();
        offset = 0;
        decoder = new TextDecoder();
        continue;
      }
      await sleep(pollMs, signal);
    }
  } finally {
    file.close();
  }
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
