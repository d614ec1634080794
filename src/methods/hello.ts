import type { MethodImpl } from "./types.ts";

/**
 * `REQHello`: a node says it is alive. Central appends a line to the node's hello log
 * (`hello-messages/<node>/hello.log`, rotated, as the original appends them) and keeps when it
 * last heard from it (KV, and `hello-messages/<node>/last-seen.log`).
 */
export const hello: MethodImpl<"REQHello"> = {
  name: "REQHello",
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
