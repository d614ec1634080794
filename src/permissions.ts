/**
 * The Deno flags the agent runs with: the single definition shared by `deno task agent`, the
 * compiled binary (`deno task compile`) and the tests that start agents.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Config, CONFIG_FILE_SPELLING, defaultConfig, parseFlags } from "./config.ts";
import { defaultAcl } from "./security/acl.ts";
import { readAclFile } from "./security/acl_store.ts";
import { sandboxFlags, sandboxFor, type SandboxInput } from "./security/sandbox.ts";

export type { SandboxInput };

/** Unstable APIs the agent uses: Deno KV and Deno.cron. */
export const UNSTABLE_FLAGS: readonly string[] = ["--unstable-kv", "--unstable-cron"];

/**
 * V8 tuning of the agent. A message burst allocates fast and keeps each message alive for up
 * to a second, so by default V8 grows the heap far beyond what is live: after 20 000 pings an
 * agent held ~150 MB of heap for ~35 MB live, and 290 MB RSS. Growing the heap by 20% at a time
 * keeps it near 95 MB (RSS ~215 MB) without a measurable loss of throughput (BENCHMARKS.md).
 */
export const V8_FLAGS: readonly string[] = ["--v8-flags=--heap-growing-percent=20"];

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
 * Every flag `deno run` and `deno compile` need for the agent. Without `sandbox`, the broad
 * {@linkcode PERMISSION_FLAGS}; with it, the narrowest read, write, net and run permissions its
 * configuration and ACL allow (see `src/security/sandbox.ts` and SECURITY.md).
 *
 * @example
 * ```ts
 * import { agentDenoFlags } from "./permissions.ts";
 * const args = ["run", ...agentDenoFlags(), "src/cli.ts", "-nodeName=ship1"];
 * ```
 */
export function agentDenoFlags(sandbox?: SandboxInput): string[] {
  if (!sandbox) return [...UNSTABLE_FLAGS, ...V8_FLAGS, ...PERMISSION_FLAGS];
  return [
    ...UNSTABLE_FLAGS,
    ...V8_FLAGS,
    ...sandboxFlags(sandboxFor(sandbox)),
    "--allow-env",
    "--allow-sys",
  ];
}

/**
 * Reads what the sandbox of an agent started with `args` in `cwd` depends on: its config file
 * merged with the flags (as the agent will merge them, without writing anything) and its ACL
 * file. Returns `undefined` when the flags are not valid: the agent itself will say why.
 *
 * @example
 * ```ts ignore
 * import { agentDenoFlags, sandboxInputFor } from "./permissions.ts";
 * const flags = agentDenoFlags(await sandboxInputFor("./etc", Deno.args, Deno.cwd()));
 * ```
 */
export async function sandboxInputFor(
  configFolder: string,
  args: readonly string[],
  cwd: string,
): Promise<SandboxInput | undefined> {
  let flags;
  try {
    flags = parseFlags(args).values;
  } catch {
    return undefined;
  }
  const folder = resolve(cwd, configFolder);
  let fromFile: Partial<Config> = {};
  try {
    // Read as the agent reads it (keys in any case); an ambiguous file stops the agent anyway.
    const canonical = CONFIG_FILE_SPELLING.canonical(
      JSON.parse(await Deno.readTextFile(join(folder, "config.json"))),
    );
    if ("value" in canonical) fromFile = canonical.value as Partial<Config>;
  } catch {
    // First start: defaults and flags only.
  }
  const config = defaultConfig({ ...fromFile, ...flags });
  const acl = await readAclFile(folder).catch(() => undefined) ??
    defaultAcl(config.centralNodeName);
  return { config, configFolder: folder, acl, cwd, root: ROOT };
}

const ROOT = fileURLToPath(new URL("../", import.meta.url));
