import { CopyError } from "../copy/copy_sender.ts";
import { MethodError, type MethodImpl } from "./types.ts";

/**
 * `REQCopySrc`: sends the file `methodArgs[0]` to node `methodArgs[1]` as `methodArgs[2]`, in
 * chunks through the broker (see `src/copy/`), and replies once it is in place there with the
 * SHA-256 it has here; streams its progress (one JSON line a second) while it runs. A run
 * resumed after a restart of this node goes on from the last chunk the destination took.
 */
export const copySrc: MethodImpl<"REQCopySrc"> = {
  name: "REQCopySrc",
  async handler({ node, message, signal, emit }) {
    try {
      const order = await node.copies.order(message);
      const r = await node.copies.sender.send(order, {
        signal,
        progress: (p) => emit(JSON.stringify(p) + "\n"),
      });
      return {
        data: `copied ${order.srcPath} to ${order.dstNode}:${order.plan.dstPath}: ${r.size} ` +
          `bytes, sha256 ${r.sha256}, ${r.count} chunks (${r.resent} sent again), ` +
          `${r.resumptions} resumptions, ${r.seconds.toFixed(1)} s\n`,
      };
    } catch (err) {
      if (err instanceof CopyError) throw new MethodError(err.message);
      if (signal.aborted) {
        throw new MethodError(
          `copy of ${message.methodArgs[0]} not finished within methodTimeout ` +
            `(${message.methodTimeout} s)`,
        );
      }
      throw err;
    }
  },
};
