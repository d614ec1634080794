/**
 * At start, narrows the modes of what the agent keeps in its folders to 0600 files and 0700
 * folders (reply files: `-dataFileMode`), for files an earlier version or a hand left looser.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config.ts";
import { JOURNAL_KEY_FILE } from "../store/journal_key.ts";
import {
  modesFromFileMode,
  ownFolder,
  PRIVATE_MODES,
  type Tightened,
  tightenTree,
  type TreeModes,
} from "../store/file_modes.ts";

/**
 * What the agent keeps in its config folder. Only these are narrowed there: the folder may be
 * shared with other files (an nkey seed, certificates) whose modes are the operator's business.
 */
const CONFIG_ENTRIES = [
  "config.json",
  "acl.json",
  "steward_ed25519.key",
  "steward_ed25519.pub",
  "listener_token",
  JOURNAL_KEY_FILE,
  "approved_keys",
];
/** What the agent keeps in its database folder (`audit.log` also names its rotated files). */
const DATABASE_ENTRIES = [
  "steward.kv",
  "steward.kv-wal",
  "steward.kv-shm",
  "store_journal.log",
  "store_journal.log.next",
  "undeliverable",
];

/** The outcome of {@linkcode tightenNodeFiles}. */
export interface NodeFilesReport {
  /** Files and folders narrowed, with their former mode. */
  changed: Tightened["changed"];
  /** Top folders others can read or enter, which the agent does not change (they may be shared). */
  looseFolders: { flag: string; folder: string; mode: number }[];
}

/**
 * The modes of reply files and their folders, from `-dataFileMode`.
 *
 * @example
 * ```ts
 * import { dataModes } from "./private_files.ts";
 * import { defaultConfig } from "../config.ts";
 * console.assert(dataModes(defaultConfig({ dataFileMode: "0640" })).folder === 0o750);
 * ```
 */
export function dataModes(config: Pick<Config, "dataFileMode">): TreeModes {
  return modesFromFileMode(config.dataFileMode);
}

/**
 * Narrows what the agent keeps: in the config and database folders the entries it creates (and
 * everything under its own subfolders), in the data folder everything (to `-dataFileMode`).
 * `only` limits it to one of the two: the data folder may hold many reply files, and the node
 * walks it in the background rather than before it starts.
 * Folders that are the working folder or one of its ancestors are left alone. The top folders
 * themselves are only reported when loose: one given by mistake (`/var/lib`) is not the
 * agent's to change.
 *
 * @example
 * ```ts
 * import { tightenNodeFiles } from "./private_files.ts";
 * import { defaultConfig } from "../config.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.json`, "{}", { mode: 0o644 });
 * await Deno.chmod(`${dir}/config.json`, 0o644);
 * const config = defaultConfig({ databaseFolder: dir, subscribersDataFolder: `${dir}/data` });
 * const { changed } = await tightenNodeFiles(config, dir);
 * console.assert(changed.length === 1);
 * ```
 */
export async function tightenNodeFiles(
  config: Pick<Config, "databaseFolder" | "subscribersDataFolder" | "dataFileMode">,
  configFolder: string,
  options: { only?: "agent" | "data" } = {},
): Promise<NodeFilesReport> {
  const changed: Tightened["changed"] = [];
  const looseFolders: NodeFilesReport["looseFolders"] = [];
  const data = dataModes(config);
  const tops: [string, string, TreeModes, string[] | "all"][] = [
    ["CONFIG_FOLDER", configFolder, PRIVATE_MODES, CONFIG_ENTRIES],
    ["-databaseFolder", config.databaseFolder, PRIVATE_MODES, DATABASE_ENTRIES],
    ["-subscribersDataFolder", config.subscribersDataFolder, data, "all"],
  ];
  for (const [flag, folder, modes, entries] of tops) {
    const part = entries === "all" ? "data" : "agent";
    if (!ownFolder(folder) || (options.only && options.only !== part)) continue;
    let names: string[];
    try {
      const info = await Deno.lstat(folder);
      if ((info.mode ?? 0) & 0o777 & ~modes.folder) {
        looseFolders.push({ flag, folder, mode: info.mode! & 0o777 });
      }
      names = [];
      for await (const entry of Deno.readDir(folder)) names.push(entry.name);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw err;
    }
    for (const name of names) {
      const wanted = entries === "all" || entries.includes(name) ||
        (flag === "-databaseFolder" && name.startsWith("audit.log"));
      if (wanted) await tightenTree(join(folder, name), modes, { recursive: true, changed });
    }
  }
  return { changed, looseFolders };
}

/**
 * The log lines for a {@linkcode NodeFilesReport}: one for everything narrowed, one per loose
 * top folder.
 *
 * @example
 * ```ts
 * import { describeNodeFiles } from "./private_files.ts";
 * describeNodeFiles({ changed: [{ path: "var/audit.log", was: 0o644 }], looseFolders: [] });
 * // ["tightened the modes of 1 file or folder others could read (var/audit.log was 644)"]
 * ```
 */
export function describeNodeFiles(report: NodeFilesReport): string[] {
  const lines: string[] = [];
  const { changed } = report;
  if (changed.length > 0) {
    const shown = changed.slice(0, 3).map((c) => `${c.path} was ${c.was.toString(8)}`);
    const more = changed.length > 3 ? `, and ${changed.length - 3} more` : "";
    lines.push(
      `tightened the modes of ${changed.length} ${
        changed.length === 1 ? "file or folder" : "files and folders"
      } others could read (${shown.join(", ")}${more})`,
    );
  }
  for (const f of report.looseFolders) {
    lines.push(
      `${f.flag} "${f.folder}" has mode ${f.mode.toString(8)}: others can list what it holds ` +
        `(not changed, as it may be shared); chmod go-rwx it unless that is intended`,
    );
  }
  return lines;
}
