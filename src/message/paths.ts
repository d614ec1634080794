import { join, normalize } from "node:path";

/** Thrown when a `directory` or `fileName` would leave the data folder or is unusable. */
export class UnsafePathError extends Error {
  override name = "UnsafePathError";
}

/**
 * Checks a message's `directory` and `fileName` and returns why they are unsafe, or undefined.
 *
 * A leading `/` in `directory` is read as the root of the data folder, as in the seed's
 * examples (`"/var/cli/command_result/"`); `..` segments, NUL bytes, control characters and
 * path separators in `fileName` are refused.
 *
 * @example
 * ```ts
 * import { checkReplyPath } from "./paths.ts";
 * checkReplyPath("../../etc", "x"); // 'directory "../../etc": ".." is not allowed'
 * checkReplyPath("logs", "out.txt"); // undefined
 * ```
 */
export function checkReplyPath(directory: string, fileName: string): string | undefined {
  // deno-lint-ignore no-control-regex
  const control = /[\u0000-\u001f\u007f]/;
  if (control.test(directory)) {
    return `directory ${JSON.stringify(directory)}: control characters are not allowed`;
  }
  if (directory.split(/[\\/]/).some((part) => part === "..")) {
    return `directory ${JSON.stringify(directory)}: ".." is not allowed`;
  }
  if (control.test(fileName)) {
    return `fileName ${JSON.stringify(fileName)}: control characters are not allowed`;
  }
  if (/[\\/]/.test(fileName)) {
    return `fileName ${JSON.stringify(fileName)}: must be a plain file name without "/"`;
  }
  if (fileName === "." || fileName === "..") {
    return `fileName ${JSON.stringify(fileName)}: is not a file name`;
  }
  return undefined;
}

/**
 * Resolves where a reply lands: `<dataFolder>/<directory>/<node>/<fileName>`.
 *
 * @throws {UnsafePathError} when the path would leave `dataFolder`.
 * @example
 * ```ts
 * import { replyFilePath } from "./paths.ts";
 * replyFilePath("/srv/data", { directory: "/cli", node: "ship1", fileName: "out" });
 * // "/srv/data/cli/ship1/out"
 * ```
 */
export function replyFilePath(
  dataFolder: string,
  target: { directory: string; node: string; fileName: string },
): string {
  const problem = checkReplyPath(target.directory, target.fileName);
  if (problem) throw new UnsafePathError(`Cannot place reply file: ${problem}`);
  const relative = normalize(join(".", target.directory, target.node, target.fileName));
  if (relative.startsWith("..") || relative.startsWith("/")) {
    throw new UnsafePathError(`Cannot place reply file: path escapes the data folder`);
  }
  return join(dataFolder, relative);
}
