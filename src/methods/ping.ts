import type { MethodDefinition } from "./types.ts";

/** `REQPing`: answers with a `REQPong` (or the message's replyMethod). */
export const ping: MethodDefinition = {
  name: "REQPing",
  event: "EventACK",
  defaultReplyMethod: "REQPong",
  flag: "startSubREQPing",
  description: "answer with a pong",
  handler({ node }) {
    return Promise.resolve({
      data: `pong from ${node.config.nodeName} ${new Date().toISOString()}`,
    });
  },
};
