/**
 * Method failures on central's error log. A method that fails (a command's non-zero exit, its
 * methodTimeout, an HTTP error, a run that never started) is answered with an error reply to
 * its sender; central hears of it too, as the seed says of errors on any node, by a
 * `REQErrorLog` message committed with that reply: once per run, whatever the retries.
 *
 * @module
 */
import { failureReportIdFor } from "../message/id.ts";
import type { Message } from "../message/schema.ts";

/**
 * Builds (and logs locally) the `REQErrorLog` message carrying `text` about `about`, with
 * `id`; undefined when the error stays local. See `ErrorReporter.message`.
 */
export type ErrorMessageBuilder = (
  text: string,
  about: Message,
  id: string,
) => Message | undefined;

/**
 * The report to central of the failed run of `m`: its line names the node, the method, the
 * message id and the reason, and its id is derived from `m`'s, so that central logs one run
 * once even when it is reported again after a crash. Undefined when there is nothing to report
 * (it succeeded, or the error stays local).
 *
 * @example
 * ```ts
 * import { failureReport } from "./failure_reports.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * const m = testMessage({ method: "REQCliCommand" });
 * const report = failureReport(m, { ok: false, error: "false exited with code 1" }, (text, about, id) =>
 *   testMessage({ method: "REQErrorLog", data: text, id }));
 * console.assert(report?.data === "REQCliCommand failed: false exited with code 1");
 * ```
 */
export function failureReport(
  m: Message,
  result: { ok: boolean; error?: string },
  build: ErrorMessageBuilder,
): Message | undefined {
  if (result.ok) return undefined;
  return build(
    `${m.method} failed: ${result.error ?? "no reason given"}`,
    m,
    failureReportIdFor(m.id),
  );
}
