import { narrowSandbox } from "../security/sandbox_narrowing.ts";
import { MethodError, type MethodImpl } from "./types.ts";

/**
 * `REQAclUpdate`: central sends a new ACL (JSON in `data`, see SECURITY.md); the node keeps it
 * when it is valid and newer, narrows the running agent's Deno sandbox to it, and replies with
 * the ACL version in force either way.
 */
export const aclUpdate: MethodImpl<"REQAclUpdate"> = {
  name: "REQAclUpdate",
  async handler({ node, message }) {
    const acl = node.security.acl;
    let candidate: unknown;
    try {
      candidate = JSON.parse(message.data);
    } catch (err) {
      throw new MethodError(
        `ACL update refused: data is not JSON (${(err as Error).message}); ACL version ` +
          `${acl.current.version} stays in force on ${node.config.nodeName}`,
      );
    }
    try {
      const before = acl.current;
      const version = await acl.update(candidate);
      const change = await narrowSandbox(
        { config: node.config, configFolder: node.configFolder, cwd: Deno.cwd() },
        before,
        acl.current,
      );
      return {
        data: `ACL version ${version} in force on ${node.config.nodeName}` +
          (change.revoked.length > 0 ? `; sandbox narrowed: ${change.revoked.join(", ")}` : "") +
          (change.widerAtRestart
            ? "; what it allows beyond the sandbox the agent started with is refused by Deno " +
              "until the agent restarts"
            : "") +
          "\n",
      };
    } catch (err) {
      throw new MethodError(
        `ACL update refused: ${(err as Error).message}; ACL version ${acl.current.version} ` +
          `stays in force on ${node.config.nodeName}`,
      );
    }
  },
};
