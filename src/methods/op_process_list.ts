import { listProcesses } from "./process_control.ts";
import type { MethodImpl } from "./types.ts";

/** `REQOpProcessList`: replies with every process of the node, one JSON object per line. */
export const opProcessList: MethodImpl<"REQOpProcessList"> = {
  name: "REQOpProcessList",
  handler({ node }) {
    return Promise.resolve({ data: listProcesses(node) });
  },
};
