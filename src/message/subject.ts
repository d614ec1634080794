import type { Event } from "./schema.ts";

/**
 * Builds the NATS subject a message travels on: `<toNode>.<method>.<event>`.
 *
 * @example
 * ```ts
 * import { subjectFor } from "./subject.ts";
 * subjectFor("ship1", "REQCliCommand", "CommandACK"); // "ship1.REQCliCommand.CommandACK"
 * ```
 */
export function subjectFor(toNode: string, method: string, event: Event): string {
  return `${toNode}.${method}.${event}`;
}
