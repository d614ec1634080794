/**
 * The Deno flags the agent runs with: the single definition shared by `deno task agent`, the
 * compiled binary (`deno task compile`) and the tests that start agents.
 *
 * @module
 */

/** Unstable APIs the agent uses: Deno KV and Deno.cron. */
export const UNSTABLE_FLAGS: readonly string[] = ["--unstable-kv", "--unstable-cron"];

/**
 * Permissions of the agent. It runs operators' commands (`REQCliCommand`), reads files it is
 * asked to tail, reaches the broker and URLs for `REQHttpGet`, and writes its own folders.
 * `--allow-env` covers the `CONFIG_FOLDER` variable and the NATS client; `--allow-sys` lets
 * prom-client read process metrics.
 */
export const PERMISSION_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
];

/** The entry point of the agent, relative to the repository root. */
export const AGENT_ENTRY = "src/cli.ts";

/**
 * Every flag `deno run` and `deno compile` need for the agent.
 *
 * @example
 * ```ts
 * import { agentDenoFlags } from "./permissions.ts";
 * const args = ["run", ...agentDenoFlags(), "src/cli.ts", "-nodeName=ship1"];
 * ```
 */
export function agentDenoFlags(): string[] {
  return [...UNSTABLE_FLAGS, ...PERMISSION_FLAGS];
}
