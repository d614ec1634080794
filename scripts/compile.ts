/**
 * `deno task compile [output] [--dry-run] [--sandbox]`: builds the `steward` binary with the
 * agent's Deno flags baked in (the same flags `deno task agent` uses). First checks that a
 * denort runtime can be had (`DENORT_BIN`, Deno's cache, or the download host); offline, says
 * what to fetch and exits 1.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { AGENT_ENTRY, agentDenoFlags, sandboxInputFor } from "../src/permissions.ts";
import { SPAWN_WORKER_MODULES } from "../src/methods/spawn_thread.ts";
import { checkDenort } from "./denort.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const dryRun = Deno.args.includes("--dry-run");
const output = Deno.args.find((a) => !a.startsWith("--")) ?? "steward";
// --sandbox bakes in the narrow permissions of the agent configured in $CONFIG_FOLDER.
const sandbox = Deno.args.includes("--sandbox")
  ? await sandboxInputFor(Deno.env.get("CONFIG_FOLDER") || "./etc", [], Deno.cwd())
  : undefined;
// The spawn worker is loaded at run time (new Worker): the binary must carry its module.
const includes = ["--include", fileURLToPath(SPAWN_WORKER_MODULES[0])];
const args = [
  "compile",
  ...agentDenoFlags(sandbox),
  ...includes,
  "--output",
  output,
  root + AGENT_ENTRY,
];
console.log(`deno ${args.join(" ")}`);
if (dryRun) Deno.exit(0);
const denort = await checkDenort({
  // Lets the tests play an offline machine.
  host: Deno.env.get("STEWARD_DENORT_HOST") || undefined,
});
if (!denort.ok) {
  console.error(`compile: ${denort.problem}`);
  Deno.exit(1);
}
const { code } = await new Deno.Command(Deno.execPath(), {
  args,
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(code);
