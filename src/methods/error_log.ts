import type { MethodDefinition } from "./types.ts";

/** `REQErrorLog`: central appends every node's errors to `errorLog/<node>/error.log`. */
export const errorLog: MethodDefinition = {
  name: "REQErrorLog",
  event: "EventACK",
  runBeforeAck: true,
  flag: "startSubREQErrorLog",
  description: "append an error from a node to central's error log (not for users)",
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
