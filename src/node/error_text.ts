/**
 * The text of a thrown value, as the node's log lines and error replies quote it.
 *
 * @module
 */

/**
 * Returns `err`'s message when it is an `Error`, otherwise `err` as a string.
 *
 * @example
 * ```ts
 * import { errorText } from "./error_text.ts";
 * console.assert(errorText(new Error("disk full")) === "disk full");
 * console.assert(errorText("gone") === "gone");
 * ```
 */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
