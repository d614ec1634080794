import type { MethodImpl } from "./types.ts";

/** `REQPing`: answers with a `REQPong` (or the message's replyMethod). */
export const ping: MethodImpl<"REQPing"> = {
  name: "REQPing",
  handler({ node, message }) {
    // The ping's id in the answer lets an operator match pongs to pings and count them.
    return Promise.resolve({
      data: `pong from ${node.config.nodeName} ${new Date().toISOString()} ping ${message.id}`,
    });
  },
};
