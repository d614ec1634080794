/**
 * The request handler of `-httpListener`: refuses what a browser page or a client without the
 * listener token could send before any of the body is read, then takes the JSON body in as
 * the socket does, within the size limit.
 *
 * @module
 */
import type { IntakePort } from "./intake_port.ts";
import { isClientEnvelope } from "./client_protocol.ts";
import { clientSessionResponse } from "./client_session.ts";
import { intakeValue, parseInput, rejectInput } from "./intake.ts";
import { credentialRefusal } from "./http_credential.ts";
import type { ListenerToken } from "./listener_token.ts";
import { readLimitedBody } from "./read_limited_body.ts";

/**
 * True for `application/json` (with any parameters), the only body type taken: a browser page
 * can send `text/plain` or a form to another origin without asking, but not JSON.
 *
 * @example
 * ```ts
 * import { isJsonContentType } from "./http_input.ts";
 * isJsonContentType("application/json; charset=utf-8"); // true
 * isJsonContentType("text/plain"); // false
 * ```
 */
export function isJsonContentType(value: string | null): boolean {
  return (value ?? "").split(";")[0].trim().toLowerCase() === "application/json";
}

function refuse(status: number, error: string, headers: HeadersInit = {}): Response {
  return Response.json([{ status: "rejected", error }], { status, headers });
}

/**
 * Makes the handler of the HTTP listener at `hostAndPort` of `node`, which requires `token`.
 * Refusals are JSON answers: 403 foreign `Origin`, 401 no or wrong `Authorization: Bearer`,
 * 405 a method other than GET (status) or POST, 415 a body that is not `application/json`,
 * 413 a body over twice `-maxMessageSize` (refused as soon as it passes it).
 *
 * @example
 * ```ts ignore
 * import { httpInputHandler } from "./http_input.ts";
 * bindHttpServer("-httpListener", address, httpInputHandler(node, token, address));
 * ```
 */
export function httpInputHandler(
  node: IntakePort,
  token: ListenerToken,
  hostAndPort: string,
): (req: Request) => Promise<Response> {
  const c = node.config;
  const limit = c.maxMessageSize * 2;
  return async (req) => {
    const refusal = credentialRefusal(req, token, hostAndPort);
    if (refusal) {
      await req.body?.cancel().catch(() => {});
      node.metrics.rejected.inc({ input: "http" });
      return refuse(refusal.status, refusal.error, refusal.headers);
    }
    if (req.method === "GET") {
      return Response.json({ node: c.nodeName, inflight: node.inflightCount });
    }
    if (req.method !== "POST") {
      await req.body?.cancel().catch(() => {});
      return refuse(405, "use POST with a JSON body", { allow: "GET, POST" });
    }
    if (!isJsonContentType(req.headers.get("content-type"))) {
      await req.body?.cancel().catch(() => {});
      return refuse(415, "the body must be sent as Content-Type: application/json");
    }
    const body = await readLimitedBody(req, limit);
    if (body.tooLarge) {
      node.reportError(`input rejected (http): body larger than the limit of ${limit} bytes`);
      return refuse(413, `body too large: the limit is ${limit} bytes`);
    }
    const parsed = parseInput(body.bytes);
    if ("value" in parsed && isClientEnvelope(parsed.value)) {
      // The client protocol: NDJSON lines streamed back while the session runs.
      return clientSessionResponse(node, parsed.value, "http");
    }
    const answers = "error" in parsed
      ? [rejectInput(node, "http", parsed.error)]
      : (await intakeValue(node, parsed.value, "http")).answers;
    const ok = answers.some((a) => a.status === "accepted");
    return Response.json(answers, { status: ok ? 200 : 400 });
  };
}
