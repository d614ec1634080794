/**
 * The arguments a method declares in the method table: checked when a message is taken in,
 * and its file arguments made absolute and real on the node that runs it.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import type { MethodArgsSpec } from "./types.ts";

/**
 * Why `args` lack an argument `spec` requires (an absent or empty one), or undefined. `field`
 * names the message field in the reason (`methodArgs`, or `replyMethodArgs` for a reply
 * method).
 *
 * @example
 * ```ts
 * import { missingArgs } from "./method_args.ts";
 * const spec = { required: ["the command to run"] };
 * missingArgs("REQCliCommand", spec, [], "methodArgs");
 * // "methodArgs: REQCliCommand needs methodArgs[0] (the command to run); got none"
 * missingArgs("REQCliCommand", spec, ["ls"], "methodArgs"); // undefined
 * ```
 */
export function missingArgs(
  method: string,
  spec: MethodArgsSpec | undefined,
  args: readonly string[],
  field: string,
): string | undefined {
  if (!spec) return undefined;
  const missing = spec.required.findIndex((_, i) => (args[i] ?? "") === "");
  if (missing < 0) return undefined;
  const needs = spec.required.map((what, i) => `${field}[${i}] (${what})`).join(", ");
  const got = args.length === 0 ? "none" : JSON.stringify(args);
  return `${field}: ${method} needs ${needs}; got ${got}`;
}

/**
 * `args` with each file argument `spec` declares made absolute against `workingFolder`, with
 * `.` and `..` resolved and then, where the file exists and may be read, every symbolic link:
 * the path the ACL and the sandbox judge is the file that will be opened.
 *
 * @example
 * ```ts
 * import { resolvePathArgs } from "./method_args.ts";
 * const spec = { required: ["the file to tail"], paths: [0] };
 * await resolvePathArgs(spec, ["./logs/../test.log"], "/srv/steward", (p) => Promise.resolve(p));
 * // ["/srv/steward/test.log"]
 * ```
 */
export async function resolvePathArgs(
  spec: MethodArgsSpec | undefined,
  args: readonly string[],
  workingFolder: string,
  realPath: (path: string) => Promise<string> = realPathOrSelf,
): Promise<string[]> {
  const out = [...args];
  for (const i of spec?.paths ?? []) {
    const given = out[i];
    if (given === undefined || given === "") continue;
    const lexical = isAbsolute(given) ? resolve(given) : resolve(workingFolder, given);
    out[i] = await realPath(lexical);
  }
  return out;
}

/**
 * The real path of `path` when it exists and may be read; else `path` itself. Asynchronous: a
 * lookup on a hung network mount must not stop the agent's event loop.
 */
async function realPathOrSelf(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    return path; // Missing, or outside the sandbox: the lexical path is all there is.
  }
}
