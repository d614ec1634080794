import { replyContent } from "./reply_content.ts";
import type { MethodImpl } from "./types.ts";

/** `REQToFileAppend`: appends a reply's data to `<data>/<directory>/<node>/<fileName>`. */
export const toFileAppend: MethodImpl<"REQToFileAppend"> = {
  name: "REQToFileAppend",
  async handler({ node, message }) {
    const path = await node.writeReplyFile(message, replyContent(message), "append");
    return { data: path };
  },
};
