import { replyContent } from "./reply_content.ts";
import { isStreamEnd } from "./stream_end.ts";
import type { MethodImpl } from "./types.ts";

/** `REQToFile`: writes a reply's data to `<data>/<directory>/<node>/<fileName>`, replacing it. */
export const toFile: MethodImpl<"REQToFile"> = {
  name: "REQToFile",
  async handler({ node, message }) {
    if (isStreamEnd(message)) return { data: "" };
    const path = await node.writeReplyFile(message, replyContent(message), "write");
    return { data: path };
  },
};
