import { replyContent } from "./reply_content.ts";
import { isStreamEnd } from "./stream_end.ts";
import type { MethodDefinition } from "./types.ts";

/** `REQToConsole`: prints a reply on the receiving agent's standard output. */
export const toConsole: MethodDefinition = {
  name: "REQToConsole",
  event: "EventACK",
  replyTarget: true,
  runBeforeAck: true,
  flag: "startSubREQToConsole",
  description: "print the reply on the agent's standard output",
  handler({ node, message }) {
    if (isStreamEnd(message)) return Promise.resolve({ data: "" });
    const what = message.previousMessage?.method ?? message.method;
    const body = replyContent(message).replace(/\n$/, "");
    const lines = body === "" ? [""] : body.split("\n");
    for (const line of lines) node.print(`[${message.fromNode}] ${what}: ${line}`);
    return Promise.resolve({ data: "" });
  },
};
