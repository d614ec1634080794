/**
 * Entry of the subprocess in which an agent loads or runs one hosted playbook, with limited
 * permissions (see `playbooks_host.ts`):
 * `deno run … src/playbook_entry.ts describe <file>` prints the playbook's name, schedule and
 * timeout as JSON; `… run <file>` runs it once against the agent in `STEWARD_SOCKET`.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { connect } from "./dsl/client.ts";
import { endpointFrom } from "./dsl/transport.ts";

/** What the host needs to know of a playbook module's default export. */
export interface PlaybookShape {
  name: string;
  schedule?: string;
  timeoutSeconds?: number;
  run(steward: unknown): Promise<void> | void;
}

/**
 * True when `value` looks like a `playbook({...})`; checked by shape, since the file may
 * import its own copy of `mod.ts` (from a URL).
 *
 * @example
 * ```ts
 * import { isPlaybookShape } from "./playbook_entry.ts";
 * isPlaybookShape({ name: "x", run() {} }); // true
 * ```
 */
export function isPlaybookShape(value: unknown): value is PlaybookShape {
  const v = value as Partial<PlaybookShape> | null;
  return v !== null && typeof v === "object" && typeof v.name === "string" &&
    typeof v.run === "function" &&
    (v.schedule === undefined || typeof v.schedule === "string");
}

async function main(args: string[]): Promise<number> {
  const [command, file] = args;
  if ((command !== "describe" && command !== "run") || !file) {
    console.error("usage: playbook_entry.ts describe|run <playbook.ts>");
    return 2;
  }
  const module = await import(pathToFileURL(resolve(file)).href);
  const pb: unknown = module.default;
  if (!isPlaybookShape(pb)) {
    console.error(`${file}: the default export is not a playbook (export default playbook({...}))`);
    return 3;
  }
  if (command === "describe") {
    console.log(JSON.stringify({
      name: pb.name,
      schedule: pb.schedule ?? null,
      timeoutSeconds: pb.timeoutSeconds ?? 600,
    }));
    return 0;
  }
  const steward = await connect(endpointFrom([]));
  try {
    await pb.run(steward);
  } finally {
    steward.close();
  }
  return 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (err) {
    // One line, so the host's error log says what went wrong rather than where.
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    code = 1;
  }
  Deno.exit(code);
}
