import { stopProcess } from "./process_control.ts";
import type { MethodDefinition } from "./types.ts";

/**
 * `REQOpProcessStop`: stops a process; `methodArgs` are the seed's
 * `[method, receivingNode, kind, id]` (kind defaults to subscriber, the id is optional).
 */
export const opProcessStop: MethodDefinition = {
  name: "REQOpProcessStop",
  event: "CommandACK",
  defaultReplyMethod: "REQToFileAppend",
  flag: "startSubREQOpCommand",
  description: "stop a process: methodArgs [method, receivingNode, kind, id]",
  async handler({ node, message }) {
    const [method, receivingNode, kind, id] = message.methodArgs;
    const self = `${message.method} ${message.id}`;
    return { data: await stopProcess(node, { method, receivingNode, kind, id }, self) };
  },
};
