import { stopProcess } from "./process_control.ts";
import type { MethodImpl } from "./types.ts";

/**
 * `REQOpProcessStop`: stops a process; `methodArgs` are the seed's
 * `[method, receivingNode, kind, id]` (kind defaults to subscriber, the id is optional).
 */
export const opProcessStop: MethodImpl<"REQOpProcessStop"> = {
  name: "REQOpProcessStop",
  async handler({ node, message }) {
    const [method, receivingNode, kind, id] = message.methodArgs;
    const self = `${message.method} ${message.id}`;
    return { data: await stopProcess(node, { method, receivingNode, kind, id }, self) };
  },
};
