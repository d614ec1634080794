/**
 * Every method's table row joined to its handler: what nodes look methods up in.
 *
 * @module
 */
import { cliCommand } from "./cli_command.ts";
import { cliCommandCont } from "./cli_command_cont.ts";
import { copyDst } from "./copy_dst.ts";
import { copySrc } from "./copy_src.ts";
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
import { METHOD_TABLE, type MethodName } from "./table.ts";
import type { MethodDefinition, MethodImpl } from "./types.ts";

/**
 * One handler per row of the table, under its own name: the type checker refuses a row without
 * a handler, a handler without a row, and a handler filed under another method's name.
 */
const HANDLERS: { readonly [N in MethodName]: MethodImpl<N> } = {
  REQCliCommand: cliCommand,
  REQToFile: toFile,
  REQToFileAppend: toFileAppend,
  REQToConsole: toConsole,
  REQHello: hello,
  REQErrorLog: errorLog,
  REQPing: ping,
  REQPong: pong,
  REQCliCommandCont: cliCommandCont,
  REQTailFile: tailFile,
  REQHttpGet: httpGet,
  REQCopySrc: copySrc,
  REQCopyDst: copyDst,
  REQOpProcessList: opProcessList,
  REQOpProcessStart: opProcessStart,
  REQOpProcessStop: opProcessStop,
  REQOpCommand: opCommand,
  REQTrustedKeys: trustedKeys,
  REQAclUpdate: aclUpdate,
  REQKeyApprove: keyApprove,
  REQKeyRevoke: keyRevoke,
  REQKeyList: keyList,
  REQKeyRotate: keyRotate,
};

/** Every request method, by name, in table order. */
export const METHODS: ReadonlyMap<string, MethodDefinition> = new Map(
  (Object.keys(METHOD_TABLE) as MethodName[]).map((name) => [
    name,
    { ...METHOD_TABLE[name], ...HANDLERS[name] },
  ]),
);

/**
 * Finds a method by name.
 *
 * @example
 * ```ts
 * import { methodNamed } from "./registry.ts";
 * methodNamed("REQPing")?.event; // "EventACK"
 * ```
 */
export function methodNamed(name: string): MethodDefinition | undefined {
  return METHODS.get(name);
}
