import { startProcess } from "./process_control.ts";
import type { MethodDefinition } from "./types.ts";

/**
 * `REQOpProcessStart`: starts the subscriber for `methodArgs[0]`; further arguments, when
 * given, are the only nodes it takes messages from.
 */
export const opProcessStart: MethodDefinition = {
  name: "REQOpProcessStart",
  event: "CommandACK",
  defaultReplyMethod: "REQToFileAppend",
  methodArgs: { required: ["the method whose subscriber to start"] },
  flag: "startSubREQOpCommand",
  description: "start the subscriber for methodArgs[0] (then optional allowed nodes)",
  handler({ node, message }) {
    const [method, ...allowedNodes] = message.methodArgs;
    return Promise.resolve({ data: startProcess(node, method, allowedNodes) });
  },
};
