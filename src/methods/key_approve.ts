import { MethodError, type MethodImpl } from "./types.ts";

/**
 * `REQKeyApprove` (central): approves the key of node `methodArgs[0]` named by `methodArgs[1]`:
 * the fingerprint (`SHA256:…`) of a key it announced in its hello, or a whole public key. Without
 * it, or with a fingerprint no pending key has, it refuses and lists the pending fingerprints, so
 * that an operator never approves a key they did not see. Then it sends the new trusted set to
 * every approved node.
 */
export const keyApprove: MethodImpl<"REQKeyApprove"> = {
  name: "REQKeyApprove",
  async handler({ node, message }) {
    const [target, named] = message.methodArgs;
    if (!target) throw new MethodError("methodArgs[0] must name the node whose key to approve");
    try {
      return { data: (await node.security.approve(target, named)) + "\n" };
    } catch (err) {
      throw new MethodError(`cannot approve the key of ${target}: ${(err as Error).message}`);
    }
  },
};
