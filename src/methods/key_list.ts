import { keyFingerprint } from "../security/fingerprint.ts";
import { MethodError, type MethodImpl } from "./types.ts";

/** `REQKeyList` (central): replies with every node key central knows, one JSON line each. */
export const keyList: MethodImpl<"REQKeyList"> = {
  name: "REQKeyList",
  async handler({ node }) {
    const registry = node.security.registry;
    if (!registry) {
      throw new MethodError(`only the central node (${node.config.centralNodeName}) keeps keys`);
    }
    const lines: string[] = [];
    for (const r of await registry.list()) {
      // Pending keys carry their fingerprint; approved and revoked ones get it here.
      lines.push(JSON.stringify({ fingerprint: await keyFingerprint(r.publicKey), ...r }));
    }
    const set = await registry.trustedSet(node.security.keys.publicKey);
    lines.push(JSON.stringify({ trustedSetVersion: set.version, central: set.central }));
    return { data: lines.join("\n") + "\n" };
  },
};
