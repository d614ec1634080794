import { MethodError, type MethodImpl } from "./types.ts";

/**
 * `REQTrustedKeys`: central sends the set of node keys the node should trust (JSON in `data`);
 * only accepted from central, signed by central's key. Replies with the version in force.
 */
export const trustedKeys: MethodImpl<"REQTrustedKeys"> = {
  name: "REQTrustedKeys",
  async handler({ node, message }) {
    try {
      return { data: (await node.security.acceptTrustedSet(message.data)) + "\n" };
    } catch (err) {
      throw new MethodError(`trusted set refused: ${(err as Error).message}`);
    }
  },
};
