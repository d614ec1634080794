/** The placeholder in `methodArgs` that reply chaining replaces with the first result. */
export const STEWARD_DATA = "{{STEWARD_DATA}}";

/**
 * Replaces `{{STEWARD_DATA}}` in each argument with `data` (the output of the first method).
 *
 * @example
 * ```ts
 * import { substituteData } from "./substitute_data.ts";
 * substituteData(["bash", "-c", "echo {{STEWARD_DATA}}"], "hi"); // ["bash", "-c", "echo hi"]
 * ```
 */
export function substituteData(args: readonly string[], data: string): string[] {
  return args.map((a) => a.split(STEWARD_DATA).join(data));
}
