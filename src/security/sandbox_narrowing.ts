/**
 * Keeps a running agent's Deno sandbox in step with a narrower ACL: what the old ACL granted and
 * the new one does not is revoked at once, so that a command, file or host the operator took
 * away is refused by Deno as well, not only by the ACL. Deno cannot grant more at run time: a
 * wider ACL reaches the sandbox when the agent restarts (it is derived from `acl.json`).
 *
 * @module
 */
import type { Acl } from "./acl.ts";
import { type Grant, sandboxFor, type SandboxInput } from "./sandbox.ts";

/** What changed in the sandbox of the running agent. */
export interface SandboxChange {
  /** Permissions revoked now, e.g. `run /usr/bin/uptime`. */
  revoked: string[];
  /** Whether the new ACL allows more than the agent was started with (needs a restart). */
  widerAtRestart: boolean;
}

const KINDS = [
  ["run", "command"],
  ["read", "path"],
  ["net", "host"],
] as const;

/**
 * Revokes what the sandbox derived from `before` grants and the one derived from `after` does
 * not. A grant of everything (an agent run without the sandbox, or an ACL with `*`) cannot be
 * narrowed item by item and is left as it is.
 *
 * @example
 * ```ts ignore
 * import { narrowSandbox } from "./sandbox_narrowing.ts";
 * const change = await narrowSandbox(input, oldAcl, newAcl);
 * change.revoked; // ["run /usr/bin/uptime"]
 * ```
 */
export async function narrowSandbox(
  input: Omit<SandboxInput, "acl">,
  before: Acl,
  after: Acl,
): Promise<SandboxChange> {
  const was = sandboxFor({ ...input, acl: before });
  const is = sandboxFor({ ...input, acl: after });
  const change: SandboxChange = { revoked: [], widerAtRestart: false };
  for (const [name, field] of KINDS) {
    const [old, now] = [was[name], is[name]];
    if (!covers(old, now)) change.widerAtRestart = true;
    if (old === true) continue;
    for (const value of old) {
      if (now !== true && !now.includes(value)) {
        await Deno.permissions.revoke({ name, [field]: value } as Deno.PermissionDescriptor);
        change.revoked.push(`${name} ${value}`);
      }
    }
  }
  return change;
}

/** Whether `grant` allows everything `wanted` asks for. */
function covers(grant: Grant, wanted: Grant): boolean {
  if (grant === true) return true;
  if (wanted === true) return false;
  return wanted.every((w) => grant.includes(w));
}
