/**
 * The key that authenticates the store journal's lines, kept 0600 in the config folder.
 *
 * @module
 */
import { join } from "node:path";
import { PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE } from "./file_modes.ts";

/** File name of the journal key in the config folder. */
export const JOURNAL_KEY_FILE = "store_journal.key";

/**
 * Returns the journal key of the node whose config folder is `configFolder`, creating a random
 * 32-byte key (base64, mode 0600) the first time. A separate key rather than one derived from
 * the signing key: the journal is opened before the signing key is loaded, and a journal key
 * that leaks exposes nothing else.
 *
 * @throws {Error} when the file cannot be read or created, or does not hold a 32-byte key.
 * @example
 * ```ts
 * import { loadJournalKey } from "./journal_key.ts";
 * const dir = await Deno.makeTempDir();
 * const key = await loadJournalKey(dir);
 * console.assert(key.length === 32);
 * console.assert((await loadJournalKey(dir)).every((b, i) => b === key[i]));
 * ```
 */
export async function loadJournalKey(configFolder: string): Promise<Uint8Array> {
  const path = join(configFolder, JOURNAL_KEY_FILE);
  try {
    return decode(path, await Deno.readTextFile(path));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const key = crypto.getRandomValues(new Uint8Array(32));
  await Deno.mkdir(configFolder, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  try {
    await Deno.writeTextFile(path, key.toBase64() + "\n", {
      createNew: true,
      mode: PRIVATE_FILE_MODE,
    });
  } catch (err) {
    // Another process made it first: use theirs.
    if (err instanceof Deno.errors.AlreadyExists) {
      return decode(path, await Deno.readTextFile(path));
    }
    throw err;
  }
  return key;
}

function decode(path: string, text: string): Uint8Array {
  let key: Uint8Array;
  try {
    key = Uint8Array.fromBase64(text.trim());
  } catch {
    key = new Uint8Array();
  }
  if (key.length !== 32) {
    throw new Error(
      `the journal key ${path} does not hold a base64 32-byte key; move it aside to make a new ` +
        `one (lines of the store journal written with the old key are then skipped)`,
    );
  }
  return key;
}
