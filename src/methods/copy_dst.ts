import { CopyRefusedError } from "../copy/copy_receiver.ts";
import { parsePlan } from "../copy/protocol.ts";
import { MethodError, type MethodImpl } from "./types.ts";

/**
 * `REQCopyDst`: a copy's announcement from its source node. Prepares the temporary file beside
 * the target `methodArgs[0]` (resolved here, judged by this node's ACL as a file written) and
 * replies with the chunk it needs first; the chunks then come on `<node>.REQCopyDst.chunks`.
 */
export const copyDst: MethodImpl<"REQCopyDst"> = {
  name: "REQCopyDst",
  async handler({ node, message }) {
    const plan = parsePlan(message.methodArgs);
    if (typeof plan === "string") throw new MethodError(plan);
    try {
      const copy = await node.copies.receiver.prepare(
        message.fromNode,
        plan,
        message.methodTimeout * 1000,
      );
      return {
        data: `ready for ${copy.realPath} from ${message.fromNode} at chunk ${copy.next}\n`,
      };
    } catch (err) {
      if (err instanceof CopyRefusedError) throw new MethodError(err.message);
      throw err;
    }
  },
};
