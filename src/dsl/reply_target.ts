/**
 * Where a request's result goes: the `replyMethod` (and its arguments) of the message.
 *
 * @module
 */
import { checkReplyPath } from "../message/paths.ts";
import { InvalidMessageError } from "./errors.ts";

/**
 * A reply target, made by {@linkcode toFile}, {@linkcode toFileAppend},
 * {@linkcode toConsole} or {@linkcode chainCli}, and given to `.reply()`.
 *
 * @example
 * ```ts
 * import { type ReplyTarget, to, toFile } from "../../mod.ts";
 * const target: ReplyTarget = toFile("inventory/packages.txt");
 * to("ship1").cli("dpkg -l").reply(target);
 * ```
 */
export interface ReplyTarget {
  /** The seed's `replyMethod`. */
  readonly replyMethod: "REQToFile" | "REQToFileAppend" | "REQToConsole" | "REQCliCommand";
  /** The seed's `replyMethodArgs`. */
  readonly replyMethodArgs: readonly string[];
  /** Folder of the result file, under the data folder. */
  readonly directory: string;
  /** Name of the result file. */
  readonly fileName: string;
  /** Seconds the chained command may run (only for {@linkcode chainCli}). */
  readonly replyMethodTimeout?: number;
}

/** Splits `"logs/syslog.log"` into the seed's `directory` and `fileName`. */
function splitPath(path: string, what: string): { directory: string; fileName: string } {
  if (typeof path !== "string" || path.trim() === "" || path.endsWith("/")) {
    throw new InvalidMessageError(`${what}: expected a file path such as "logs/out.txt"`);
  }
  const at = path.lastIndexOf("/");
  const target = { directory: path.slice(0, at + 1), fileName: path.slice(at + 1) };
  const problem = checkReplyPath(target.directory, target.fileName);
  if (problem) throw new InvalidMessageError(`${what}("${path}"): ${problem}`);
  return { directory: target.directory.replace(/\/+$/, ""), fileName: target.fileName };
}

/**
 * Writes the result to `<data folder>/<dir>/<node that answered>/<file>` on the sending
 * node, replacing what was there (`REQToFile`).
 *
 * @param path `"file"` or `"dir/file"`, relative to the agent's data folder.
 * @throws {InvalidMessageError} when the path would leave the data folder.
 * @example
 * ```ts
 * import { to, toFile } from "../../mod.ts";
 * to("ship1").cli("uptime").reply(toFile("health/uptime.txt"));
 * ```
 */
export function toFile(path: string): ReplyTarget {
  return Object.freeze({
    replyMethod: "REQToFile",
    replyMethodArgs: [],
    ...splitPath(path, "toFile"),
  });
}

/**
 * Appends the result to `<data folder>/<dir>/<node that answered>/<file>` on the sending
 * node (`REQToFileAppend`).
 *
 * @param path `"file"` or `"dir/file"`, relative to the agent's data folder.
 * @throws {InvalidMessageError} when the path would leave the data folder.
 * @example
 * ```ts
 * import { to, toFileAppend } from "../../mod.ts";
 * to("ship2").tail("/var/log/syslog").for(60).reply(toFileAppend("logs/syslog.log"));
 * ```
 */
export function toFileAppend(path: string): ReplyTarget {
  return Object.freeze({
    replyMethod: "REQToFileAppend",
    replyMethodArgs: [],
    ...splitPath(path, "toFileAppend"),
  });
}

/**
 * Prints the result on the sending agent's standard output (`REQToConsole`).
 *
 * @example
 * ```ts
 * import { to, toConsole } from "../../mod.ts";
 * to("ship1").processes().reply(toConsole());
 * ```
 */
export function toConsole(): ReplyTarget {
  return Object.freeze({
    replyMethod: "REQToConsole",
    replyMethodArgs: [],
    directory: "",
    fileName: "",
  });
}

/**
 * Options of {@linkcode chainCli}.
 *
 * @example
 * ```ts
 * import { chainCli, type ChainCliOptions } from "../../mod.ts";
 * const options: ChainCliOptions = { timeout: 30 };
 * chainCli("cat <<< {{STEWARD_DATA}} > copy.txt", options);
 * ```
 */
export interface ChainCliOptions {
  /** Seconds the chained command may run (`replyMethodTimeout`). */
  timeout?: number;
}

/**
 * Runs a second command on the sending node with the first result in place of
 * `{{STEWARD_DATA}}` (`replyMethod: REQCliCommand`); its own result goes to the central node.
 *
 * @param command a shell line (run with `bash -c`) or an argv array.
 * @example
 * ```ts
 * import { chainCli, to } from "../../mod.ts";
 * to("ship2").cli("tree").reply(chainCli('echo "{{STEWARD_DATA}}" > tree.txt'));
 * ```
 */
export function chainCli(
  command: string | readonly string[],
  options: ChainCliOptions = {},
): ReplyTarget {
  return Object.freeze({
    replyMethod: "REQCliCommand",
    replyMethodArgs: commandArgv(command, "chainCli"),
    directory: "",
    fileName: "",
    ...(options.timeout === undefined ? {} : { replyMethodTimeout: options.timeout }),
  });
}

/**
 * The argv of a command given as a shell line (`bash -c <line>`) or as an argv array.
 *
 * @throws {InvalidMessageError} on an empty command.
 * @example
 * ```ts
 * import { commandArgv } from "./reply_target.ts";
 * commandArgv("tree", "cli"); // ["bash", "-c", "tree"]
 * commandArgv(["ls", "-l"], "cli"); // ["ls", "-l"]
 * ```
 */
export function commandArgv(command: string | readonly string[], what: string): string[] {
  if (typeof command === "string") {
    if (command.trim() === "") throw new InvalidMessageError(`${what}: the command is empty`);
    return ["bash", "-c", command];
  }
  if (!Array.isArray(command) || command.length === 0 || command[0] === "") {
    throw new InvalidMessageError(`${what}: the argv array needs at least the program name`);
  }
  if (command.some((a) => typeof a !== "string")) {
    throw new InvalidMessageError(`${what}: every argv element must be a string`);
  }
  return [...command];
}
