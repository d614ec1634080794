/**
 * `deno task agent <flags>`: runs the agent from source with exactly the Deno flags the
 * compiled binary has baked in.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { AGENT_ENTRY, agentDenoFlags, sandboxInputFor } from "../src/permissions.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
// The narrowest permissions the config and ACL allow; STEWARD_NO_SANDBOX=1 for the broad ones.
const sandbox = Deno.env.get("STEWARD_NO_SANDBOX") === "1"
  ? undefined
  : await sandboxInputFor(Deno.env.get("CONFIG_FOLDER") || "./etc", Deno.args, Deno.cwd());
const child = new Deno.Command(Deno.execPath(), {
  args: ["run", ...agentDenoFlags(sandbox), root + AGENT_ENTRY, ...Deno.args],
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => child.kill(sig));
}
Deno.exit((await child.status).code);
