import { listProcesses, startProcess, stopProcess } from "./process_control.ts";
import { MethodError, type MethodImpl } from "./types.ts";

/**
 * `REQOpCommand`: process control through the message's `operation`: `ps` lists the processes,
 * `startProc` starts a subscriber (`opArg.method`, `opArg.allowedNodes`), `stopProc` stops one
 * (`opArg.method`, `kind`, `receivingNode`, `id`).
 */
export const opCommand: MethodImpl<"REQOpCommand"> = {
  name: "REQOpCommand",
  async handler({ node, message }) {
    const op = message.operation;
    if (!op) throw new MethodError("operation is required: { opCmd: ps | startProc | stopProc }");
    const arg = op.opArg ?? {};
    switch (op.opCmd) {
      case "ps":
        return { data: listProcesses(node) };
      case "startProc":
        return { data: startProcess(node, arg.method ?? "", arg.allowedNodes) };
      case "stopProc":
        return {
          data: await stopProcess(node, arg, `${message.method} ${message.id}`),
        };
    }
  },
};
