/**
 * `deno task install [--root <folder>]`: installs the `steward` command (`deno install -g`) with
 * the agent's own Deno flags (`src/permissions.ts`, as `deno task compile` bakes them in), so
 * that `steward -nodeName=…` runs in any folder, its relative paths resolved from there.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { AGENT_ENTRY, agentDenoFlags } from "../src/permissions.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const args = [
  "install",
  "--global",
  "--force",
  "--name",
  "steward",
  "--config",
  root + "deno.json",
  ...agentDenoFlags(),
  ...Deno.args,
  root + AGENT_ENTRY,
];
console.log(`deno ${args.join(" ")}`);
const { code } = await new Deno.Command(Deno.execPath(), {
  args,
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(code);
