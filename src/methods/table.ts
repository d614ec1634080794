/**
 * The method table: the single list of request methods a node knows.
 *
 * @module
 */
import { cliCommand } from "./cli_command.ts";
import { errorLog } from "./error_log.ts";
import { hello } from "./hello.ts";
import { ping } from "./ping.ts";
import { pong } from "./pong.ts";
import { toConsole } from "./to_console.ts";
import { toFile } from "./to_file.ts";
import { toFileAppend } from "./to_file_append.ts";
import type { MethodDefinition } from "./types.ts";

/** Every request method, by name. */
export const METHODS: ReadonlyMap<string, MethodDefinition> = new Map(
  [
    cliCommand,
    toFile,
    toFileAppend,
    toConsole,
    hello,
    errorLog,
    ping,
    pong,
  ].map((m) => [m.name, m]),
);

/**
 * Finds a method by name.
 *
 * @example
 * ```ts
 * import { methodNamed } from "./table.ts";
 * methodNamed("REQPing")?.event; // "EventACK"
 * ```
 */
export function methodNamed(name: string): MethodDefinition | undefined {
  return METHODS.get(name);
}
