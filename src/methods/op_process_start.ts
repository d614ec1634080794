import { startProcess } from "./process_control.ts";
import type { MethodImpl } from "./types.ts";

/**
 * `REQOpProcessStart`: starts the subscriber for `methodArgs[0]`; further arguments, when
 * given, are the only nodes it takes messages from.
 */
export const opProcessStart: MethodImpl<"REQOpProcessStart"> = {
  name: "REQOpProcessStart",
  handler({ node, message }) {
    const [method, ...allowedNodes] = message.methodArgs;
    return Promise.resolve({ data: startProcess(node, method, allowedNodes) });
  },
};
