import type { Message } from "../message/schema.ts";

/**
 * True for the empty, successful last reply of a streaming method (`REQCliCommandCont`,
 * `REQTailFile`): it only marks the end of the stream, so reply handlers that replace or print
 * must not treat it as content (a `REQToFile` would otherwise be emptied at the end).
 *
 * @example
 * ```ts ignore
 * import { isStreamEnd } from "./stream_end.ts";
 * isStreamEnd({ ...reply, seq: 4, final: true, data: "" }); // true
 * ```
 */
export function isStreamEnd(message: Message): boolean {
  return message.final === true && (message.seq ?? 0) > 0 && message.data === "" &&
    message.ok !== false;
}
