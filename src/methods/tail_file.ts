import { endedByTimeout } from "./ended_by_timeout.ts";
import { followFile, NotRegularFileError } from "./follow_file.ts";
import { LineBatcher } from "./line_batcher.ts";
import { MethodError, type MethodImpl } from "./types.ts";

/**
 * `REQTailFile`: follows the file named by `methodArgs[0]` on the node for `methodTimeout`
 * seconds and sends each new line back as it appears; survives rotation and truncation.
 */
export const tailFile: MethodImpl<"REQTailFile"> = {
  name: "REQTailFile",
  async handler({ message, signal, emit }) {
    const path = message.methodArgs[0];
    if (!path) throw new MethodError("methodArgs[0] must name the file to tail");
    const lines = new LineBatcher((text) => emit(text));
    try {
      await followFile(path, { signal, onText: (text) => lines.push(text) });
    } catch (err) {
      await lines.close().catch(() => {});
      if (err instanceof Deno.errors.NotFound) {
        throw new MethodError(`cannot tail ${path}: no such file`);
      }
      if (err instanceof NotRegularFileError) {
        throw new MethodError(`cannot tail: ${err.message}`);
      }
      throw new MethodError(`cannot tail ${path}: ${(err as Error).message}`);
    }
    await lines.close();
    if (signal.aborted && !endedByTimeout(signal)) {
      const reason = signal.reason;
      throw new MethodError(
        `tail of ${path} stopped: ${reason instanceof Error ? reason.message : "stopped"}`,
      );
    }
    return { data: "" };
  },
};
