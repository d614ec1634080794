/**
 * `deno task compile [output]`: builds the `steward` binary with the agent's Deno flags baked in
 * (the same flags `deno task agent` uses). Set `DENORT_BIN` to use a local denort runtime.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { AGENT_ENTRY, agentDenoFlags } from "../src/permissions.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const output = Deno.args[0] ?? "steward";
const args = ["compile", ...agentDenoFlags(), "--output", output, root + AGENT_ENTRY];
console.log(`deno ${args.join(" ")}`);
const { code } = await new Deno.Command(Deno.execPath(), {
  args,
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(code);
