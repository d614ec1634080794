import type { Message } from "../message/schema.ts";

/**
 * The text a reply handler stores or prints: the data, or an error line naming the node and
 * the request when the method failed. Always ends with a newline when not empty.
 *
 * @example
 * ```ts ignore
 * import { replyContent } from "./reply_content.ts";
 * replyContent({ ...reply, ok: false, error: "exit code 1" });
 * // "ERROR from ship1 (REQCliCommand 0abc…): exit code 1\n"
 * ```
 */
export function replyContent(message: Message): string {
  let text = message.data;
  if (message.ok === false) {
    const about = message.previousMessage
      ? ` (${message.previousMessage.method} ${message.previousMessage.id})`
      : "";
    text = `ERROR from ${message.fromNode}${about}: ${message.error ?? "failed"}\n${text}`;
  }
  return text === "" || text.endsWith("\n") ? text : text + "\n";
}
