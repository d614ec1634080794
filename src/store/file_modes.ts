/**
 * Modes of the files and folders the agent keeps: private to its user (0600 files, 0700
 * folders) unless the operator loosens the data folder, and tightened at start when an earlier
 * version (or a hand) left them looser.
 *
 * @module
 */
import { join, resolve } from "node:path";

/** Mode of every file the agent creates, unless configured otherwise. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of every folder the agent creates, unless configured otherwise. */
export const PRIVATE_FOLDER_MODE = 0o700;

/** The modes files and folders of one tree may have at most. */
export interface TreeModes {
  file: number;
  folder: number;
}

/** Private modes: 0600 files, 0700 folders. */
export const PRIVATE_MODES: TreeModes = { file: PRIVATE_FILE_MODE, folder: PRIVATE_FOLDER_MODE };

/**
 * Parses an octal file mode as given to `-dataFileMode` (`"0640"`, `"640"`) and returns the modes
 * of files and of folders (a folder gets `x` wherever the file mode has `r`).
 *
 * @throws {Error} when `text` is not an octal mode that keeps the owner's read and write.
 * @example
 * ```ts
 * import { modesFromFileMode } from "./file_modes.ts";
 * const m = modesFromFileMode("0640"); // { file: 0o640, folder: 0o750 }
 * console.assert(m.folder === 0o750);
 * ```
 */
export function modesFromFileMode(text: string): TreeModes {
  if (!/^0?[0-7]{3}$/.test(text)) {
    throw new Error(`"${text}" is not an octal file mode such as 0600 or 0640`);
  }
  const file = parseInt(text, 8);
  if ((file & 0o600) !== 0o600) {
    throw new Error(`"${text}" must let the agent's own user read and write (0600 at least)`);
  }
  if (file & 0o111) throw new Error(`"${text}": reply files are never executable`);
  return { file, folder: file | ((file & 0o444) >> 2) };
}

/** What {@linkcode tightenTree} changed. */
export interface Tightened {
  /** Paths whose mode was narrowed, with the mode they had. */
  changed: { path: string; was: number }[];
}

/**
 * Narrows the mode of `path` and, when it is a folder and `recursive`, of everything under it,
 * to `modes` (bits beyond them are removed; nothing is ever widened). Symbolic links are neither
 * followed nor changed; a path that does not exist is skipped.
 *
 * @example
 * ```ts
 * import { tightenTree, PRIVATE_MODES } from "./file_modes.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/f`, "", { mode: 0o644 });
 * await Deno.chmod(`${dir}/f`, 0o644);
 * const { changed } = await tightenTree(dir, PRIVATE_MODES, { recursive: true });
 * console.assert(changed.some((c) => c.path.endsWith("/f")));
 * ```
 */
export async function tightenTree(
  path: string,
  modes: TreeModes,
  options: { recursive?: boolean; changed?: Tightened["changed"] } = {},
): Promise<Tightened> {
  const changed = options.changed ?? [];
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { changed };
    throw err;
  }
  if (info.isSymlink || info.mode === null) return { changed };
  const allowed = info.isDirectory ? modes.folder : modes.file;
  const mode = info.mode & 0o7777;
  if (mode & ~allowed) {
    await Deno.chmod(path, mode & allowed);
    changed.push({ path, was: mode });
  }
  if (info.isDirectory && options.recursive) {
    for await (const entry of Deno.readDir(path)) {
      await tightenTree(join(path, entry.name), modes, { recursive: true, changed });
    }
  }
  return { changed };
}

/**
 * True when `folder` is a folder the agent may tighten as its own: not the working folder nor
 * one of its ancestors (`.`, `/`, a home folder given by mistake hold more than the agent's files).
 *
 * @example
 * ```ts
 * import { ownFolder } from "./file_modes.ts";
 * console.assert(!ownFolder("."));
 * console.assert(!ownFolder("/"));
 * ```
 */
export function ownFolder(folder: string): boolean {
  const full = resolve(folder);
  const cwd = resolve(".");
  return !(cwd === full || cwd.startsWith(full.endsWith("/") ? full : `${full}/`));
}
