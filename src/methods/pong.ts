import type { MethodDefinition } from "./types.ts";

/** `REQPong`: records a ping's answer, one line per pong, in `<directory|ping>/<node>/<fileName|pong.log>`. */
export const pong: MethodDefinition = {
  name: "REQPong",
  event: "EventACK",
  replyTarget: true,
  runBeforeAck: true,
  flag: "startSubREQPong",
  description: "append a ping's answer to directory/<node>/fileName (default ping/<node>/pong.log)",
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
