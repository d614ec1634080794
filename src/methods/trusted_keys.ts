import { type MethodDefinition, MethodError } from "./types.ts";

/**
 * `REQTrustedKeys`: central sends the set of node keys the node should trust (JSON in `data`);
 * only accepted from central, signed by central's key. Replies with the version in force.
 */
export const trustedKeys: MethodDefinition = {
  name: "REQTrustedKeys",
  event: "CommandACK",
  latestOnly: true,
  defaultReplyMethod: "REQToFileAppend",
  flag: "startSubREQSecurity",
  description: "replace the node's trusted keys with central's signed set (data: JSON)",
  async handler({ node, message }) {
    try {
      return { data: (await node.security.acceptTrustedSet(message.data)) + "\n" };
    } catch (err) {
      throw new MethodError(`trusted set refused: ${(err as Error).message}`);
    }
  },
};
