import { replyContent } from "./reply_content.ts";
import { isStreamEnd } from "./stream_end.ts";
import type { MethodDefinition } from "./types.ts";

/** `REQToFile`: writes a reply's data to `<data>/<directory>/<node>/<fileName>`, replacing it. */
export const toFile: MethodDefinition = {
  name: "REQToFile",
  event: "EventACK",
  replyTarget: true,
  runBeforeAck: true,
  flag: "startSubREQToFile",
  description: "write the reply to directory/<node>/fileName, replacing its content",
  async handler({ node, message }) {
    if (isStreamEnd(message)) return { data: "" };
    const path = await node.writeReplyFile(message, replyContent(message), "write");
    return { data: path };
  },
};
