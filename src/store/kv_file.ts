/**
 * Opens the node's Deno KV file: checked first, so that a corrupt file stops the agent with a
 * message naming it instead of a panic of Deno's KV thread, and private (0600, as its -wal and
 * -shm, which SQLite creates with the database file's mode).
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { PRIVATE_FILE_MODE } from "./file_modes.ts";

/** Thrown when the KV file exists but SQLite finds it damaged. */
export class CorruptDatabaseError extends Error {
  override name = "CorruptDatabaseError";
  /** The damaged file. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(
      `the database ${path} is corrupt (${problem}); the agent does not start on it. To go ` +
        `on, move it aside (mv ${path} ${path}.corrupt, and its -wal and -shm files if ` +
        `present) and start again with an empty database. Lost with it: messages accepted and ` +
        `not yet delivered or answered, the record of executed ids (a resend from before may ` +
        `run again), central's approved keys (re-approve, or keep them in approved_keys/) and ` +
        `pending chained commands; acl.json, the keys and the config folder are kept`,
    );
    this.path = path;
  }
}

/**
 * Checks the SQLite file behind a Deno KV database with `PRAGMA quick_check`; returns what is
 * wrong, or undefined when it is sound or does not exist yet. Deno KV itself only notices damage
 * when a read reaches it, and in its background queue thread that is a panic.
 *
 * @example
 * ```ts
 * import { kvFileProblem } from "./kv_file.ts";
 * const dir = await Deno.makeTempDir();
 * console.assert(kvFileProblem(`${dir}/absent.kv`) === undefined);
 * ```
 */
export function kvFileProblem(path: string): string | undefined {
  try {
    const info = Deno.statSync(path);
    // Not a file (a folder in the way): Deno.openKv says so in its own words.
    if (!info.isFile || info.size === 0) return undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path);
    const rows = db.prepare("PRAGMA quick_check").all() as { quick_check?: unknown }[];
    const lines = rows.map((r) => String(r.quick_check));
    return lines.length === 1 && lines[0] === "ok" ? undefined : lines.join("; ").slice(0, 300);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    // Only damage is reported as such; a file that cannot be opened at all (no access, say) is
    // left for Deno.openKv to report.
    return /malformed|not a database|corrupt/i.test(text) ? text : undefined;
  } finally {
    try {
      db?.close();
    } catch {
      // A file that would not open has nothing to close.
    }
  }
}

/**
 * Opens the KV database at `path` after checking it, creating it 0600 when absent (a looser
 * existing one is narrowed by the node's start, see `tightenTree`).
 *
 * @throws {CorruptDatabaseError} when the file is damaged, with what to do about it.
 * @example
 * ```ts
 * import { openKvFile } from "./kv_file.ts";
 * const dir = await Deno.makeTempDir();
 * const kv = await openKvFile(`${dir}/steward.kv`);
 * console.assert((Deno.statSync(`${dir}/steward.kv`).mode! & 0o777) === 0o600);
 * kv.close();
 * ```
 */
export async function openKvFile(path: string): Promise<Deno.Kv> {
  const problem = kvFileProblem(path);
  if (problem !== undefined) throw new CorruptDatabaseError(path, problem);
  try {
    Deno.writeFileSync(path, new Uint8Array(), { createNew: true, mode: PRIVATE_FILE_MODE });
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
  return await Deno.openKv(path);
}
