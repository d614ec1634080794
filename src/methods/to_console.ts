import { replyContent } from "./reply_content.ts";
import { isStreamEnd } from "./stream_end.ts";
import { visibleControls } from "./visible_controls.ts";
import type { MethodImpl } from "./types.ts";

/**
 * `REQToConsole`: prints a reply on the receiving agent's standard output, one line per line,
 * with control characters shown as escapes (`\x1b`), never sent raw to the terminal.
 */
export const toConsole: MethodImpl<"REQToConsole"> = {
  name: "REQToConsole",
  handler({ node, message }) {
    if (isStreamEnd(message)) return Promise.resolve({ data: "" });
    // Another node's text is shown, never obeyed: control characters are escaped visibly.
    const what = visibleControls(message.previousMessage?.method ?? message.method);
    const body = replyContent(message).replace(/\n$/, "");
    const lines = body === "" ? [""] : body.split("\n");
    for (const line of lines) {
      node.print(`[${message.fromNode}] ${what}: ${visibleControls(line)}`);
    }
    return Promise.resolve({ data: "" });
  },
};
