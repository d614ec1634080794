/**
 * `deno task agent <flags>`: runs the agent from source with exactly the Deno flags the
 * compiled binary has baked in.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { AGENT_ENTRY, agentDenoFlags } from "../src/permissions.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const child = new Deno.Command(Deno.execPath(), {
  args: ["run", ...agentDenoFlags(), root + AGENT_ENTRY, ...Deno.args],
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => child.kill(sig));
}
Deno.exit((await child.status).code);
