import type { MethodImpl } from "./types.ts";

/** `REQErrorLog`: central appends every node's errors to `errorLog/<node>/error.log`. */
export const errorLog: MethodImpl<"REQErrorLog"> = {
  name: "REQErrorLog",
  async handler({ node, message }) {
    const line = message.data.endsWith("\n") ? message.data : message.data + "\n";
    const path = await node.writeReplyFile(
      { ...message, directory: "errorLog", fileName: "error.log" },
      line,
      "append",
    );
    return { data: path };
  },
};
