import type { MethodDefinition } from "./types.ts";

/** `REQHello`: a node says it is alive; central records when it last heard from each node. */
export const hello: MethodDefinition = {
  name: "REQHello",
  event: "EventNACK",
  flag: "startSubREQHello",
  description: "record that the sending node is alive (sent every -startPubREQHello seconds)",
  async handler({ node, message }) {
    const at = Date.now();
    await node.hello.seen(message.fromNode, at);
    const line = `${new Date(at).toISOString()} hello from ${message.fromNode}\n`;
    await node.writeReplyFile(
      { ...message, directory: "hello-messages", fileName: "hello.log" },
      line,
      "write",
    );
    return { data: "" };
  },
};
