import { MethodError, type MethodImpl } from "./types.ts";

/**
 * `REQKeyRotate` (a node, from itself only: `steward -rotateKey`): starts a rotation of the
 * node's signing key. The node announces a new key in its hellos, signed by its approved key with
 * a proof that it holds the new one; central replaces the key and distributes the set, and the
 * node signs with the new key once central's set names it.
 */
export const keyRotate: MethodImpl<"REQKeyRotate"> = {
  name: "REQKeyRotate",
  async handler({ node }) {
    try {
      return { data: (await node.security.startRotation()) + "\n" };
    } catch (err) {
      throw new MethodError(
        `cannot rotate the key of ${node.config.nodeName}: ${(err as Error).message}`,
      );
    }
  },
};
