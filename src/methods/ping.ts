import type { MethodDefinition } from "./types.ts";

/** `REQPing`: answers with a `REQPong` (or the message's replyMethod). */
export const ping: MethodDefinition = {
  name: "REQPing",
  event: "EventACK",
  defaultReplyMethod: "REQPong",
  flag: "startSubREQPing",
  instant: true,
  description: "answer with a pong",
  handler({ node, message }) {
    // The ping's id in the answer lets an operator match pongs to pings and count them.
    return Promise.resolve({
      data: `pong from ${node.config.nodeName} ${new Date().toISOString()} ping ${message.id}`,
    });
  },
};
