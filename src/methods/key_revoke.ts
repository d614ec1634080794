import { MethodError, type MethodImpl } from "./types.ts";

/**
 * `REQKeyRevoke` (central): revokes the key of node `methodArgs[0]` and sends the new trusted
 * set to every approved node; central refuses that node's messages at once.
 */
export const keyRevoke: MethodImpl<"REQKeyRevoke"> = {
  name: "REQKeyRevoke",
  async handler({ node, message }) {
    const [target] = message.methodArgs;
    if (!target) throw new MethodError("methodArgs[0] must name the node whose key to revoke");
    try {
      return { data: (await node.security.revoke(target)) + "\n" };
    } catch (err) {
      throw new MethodError(`cannot revoke the key of ${target}: ${(err as Error).message}`);
    }
  },
};
