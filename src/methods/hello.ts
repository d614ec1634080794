import type { MethodDefinition } from "./types.ts";

/**
 * `REQHello`: a node says it is alive. Central appends a line to the node's hello log
 * (`hello-messages/<node>/hello.log`, rotated, as the original appends them) and keeps when it
 * last heard from it (KV, and `hello-messages/<node>/last-seen.log`).
 */
export const hello: MethodDefinition = {
  name: "REQHello",
  event: "EventNACK",
  flag: "startSubREQHello",
  description: "record that the sending node is alive (sent every -startPubREQHello seconds)",
  async handler({ node, message }) {
    const at = Date.now();
    const line = `${new Date(at).toISOString()} hello from ${message.fromNode}\n`;
    await node.hello.seen(message.fromNode, at, line);
    await node.writeReplyFile(
      { ...message, directory: "hello-messages", fileName: "last-seen.log" },
      line,
      "write",
    );
    return { data: "" };
  },
};
