import type { MethodImpl } from "./types.ts";

/** `REQPong`: records a ping's answer, one line per pong, in `<directory|ping>/<node>/<fileName|pong.log>`. */
export const pong: MethodImpl<"REQPong"> = {
  name: "REQPong",
  async handler({ node, message }) {
    const target = {
      ...message,
      directory: message.directory || "ping",
      fileName: message.fileName || "pong.log",
    };
    const line = message.ok === false ? `ERROR ${message.error}` : message.data;
    const path = await node.writeReplyFile(target, line + "\n", "append");
    return { data: path };
  },
};
