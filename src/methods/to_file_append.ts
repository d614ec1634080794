import { replyContent } from "./reply_content.ts";
import type { MethodDefinition } from "./types.ts";

/** `REQToFileAppend`: appends a reply's data to `<data>/<directory>/<node>/<fileName>`. */
export const toFileAppend: MethodDefinition = {
  name: "REQToFileAppend",
  event: "EventACK",
  replyTarget: true,
  runBeforeAck: true,
  flag: "startSubREQToFileAppend",
  description: "append the reply to directory/<node>/fileName",
  async handler({ node, message }) {
    const path = await node.writeReplyFile(message, replyContent(message), "append");
    return { data: path };
  },
};
