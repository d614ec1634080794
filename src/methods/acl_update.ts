import { type MethodDefinition, MethodError } from "./types.ts";

/**
 * `REQAclUpdate`: central sends a new ACL (JSON in `data`, see SECURITY.md); the node keeps it
 * when it is valid and newer, and replies with the ACL version in force either way.
 */
export const aclUpdate: MethodDefinition = {
  name: "REQAclUpdate",
  event: "CommandACK",
  defaultReplyMethod: "REQToFileAppend",
  flag: "startSubREQSecurity",
  description: "replace the node's ACL (data: JSON with version and rules); only from central",
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
      const version = await acl.update(candidate);
      return { data: `ACL version ${version} in force on ${node.config.nodeName}\n` };
    } catch (err) {
      throw new MethodError(
        `ACL update refused: ${(err as Error).message}; ACL version ${acl.current.version} ` +
          `stays in force on ${node.config.nodeName}`,
      );
    }
  },
};
