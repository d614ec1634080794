import { listProcesses } from "./process_control.ts";
import type { MethodDefinition } from "./types.ts";

/** `REQOpProcessList`: replies with every process of the node, one JSON object per line. */
export const opProcessList: MethodDefinition = {
  name: "REQOpProcessList",
  event: "CommandACK",
  defaultReplyMethod: "REQToFileAppend",
  flag: "startSubREQOpCommand",
  description: "list the node's publishers, subscribers, listeners and running methods",
  handler({ node }) {
    return Promise.resolve({ data: listProcesses(node) });
  },
};
