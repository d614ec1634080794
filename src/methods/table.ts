/**
 * The method table: the single list of request methods a node knows.
 *
 * @module
 */
import { cliCommand } from "./cli_command.ts";
import { cliCommandCont } from "./cli_command_cont.ts";
import { errorLog } from "./error_log.ts";
import { hello } from "./hello.ts";
import { httpGet } from "./http_get.ts";
import { opCommand } from "./op_command.ts";
import { opProcessList } from "./op_process_list.ts";
import { opProcessStart } from "./op_process_start.ts";
import { opProcessStop } from "./op_process_stop.ts";
import { ping } from "./ping.ts";
import { pong } from "./pong.ts";
import { tailFile } from "./tail_file.ts";
import { toConsole } from "./to_console.ts";
import { toFile } from "./to_file.ts";
import { toFileAppend } from "./to_file_append.ts";
import { trustedKeys } from "./trusted_keys.ts";
import { aclUpdate } from "./acl_update.ts";
import { keyApprove } from "./key_approve.ts";
import { keyRevoke } from "./key_revoke.ts";
import { keyList } from "./key_list.ts";
import { keyRotate } from "./key_rotate.ts";
import type { MethodArgsSpec, MethodDefinition } from "./types.ts";

/** What the command methods need: the program to run, then its arguments. */
const COMMAND_ARGS: MethodArgsSpec = { required: ["the command to run"] };

/** Every request method, by name. */
export const METHODS: ReadonlyMap<string, MethodDefinition> = new Map(
  [
    { ...cliCommand, methodArgs: COMMAND_ARGS },
    toFile,
    toFileAppend,
    toConsole,
    hello,
    errorLog,
    ping,
    pong,
    { ...cliCommandCont, methodArgs: COMMAND_ARGS },
    tailFile,
    httpGet,
    opProcessList,
    opProcessStart,
    opProcessStop,
    opCommand,
    trustedKeys,
    aclUpdate,
    keyApprove,
    keyRevoke,
    keyList,
    keyRotate,
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
