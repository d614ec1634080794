import { type MethodDefinition, MethodError } from "./types.ts";

/**
 * `REQKeyApprove` (central): approves the key node `methodArgs[0]` announced in its hello (or
 * the key given in `methodArgs[1]`), then sends the new trusted set to every approved node.
 */
export const keyApprove: MethodDefinition = {
  name: "REQKeyApprove",
  event: "CommandACK",
  defaultReplyMethod: "REQToFileAppend",
  flag: "startSubREQSecurity",
  description: "central: approve a node's key (methodArgs: node [, key]) and distribute the set",
  async handler({ node, message }) {
    const [target, key] = message.methodArgs;
    if (!target) throw new MethodError("methodArgs[0] must name the node whose key to approve");
    try {
      return { data: (await node.security.approve(target, key)) + "\n" };
    } catch (err) {
      throw new MethodError(`cannot approve the key of ${target}: ${(err as Error).message}`);
    }
  },
};
