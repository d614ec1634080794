/**
 * The request handler of `-webListener`: the login form, the page and its files, the JSON
 * views, the live error log (server-sent events), and the two changes the page makes (approve
 * a key, send a command), both handed to the agent as a client session, exactly as
 * `-approveKey` and a playbook client send them.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { clientSessionResponse } from "../input/client_session.ts";
import { isJsonContentType } from "../input/http_input.ts";
import type { IntakePort } from "../input/intake_port.ts";
import { readLimitedBody } from "../input/read_limited_body.ts";
import { followErrorLogs } from "./error_log_files.ts";
import { isMessageState } from "./message_view.ts";
import { APP_PAGE, APP_STYLE, CONTENT_SECURITY_POLICY, loginPage } from "./page_html.ts";
import { APP_SCRIPT } from "./page_script.ts";
import { isAuthenticated, originRefusal, type WebGuardContext } from "./web_guard.ts";
import { cookieValue, SESSION_COOKIE, sessionCookie } from "./web_sessions.ts";
import type { WebSources } from "./web_sources.ts";

/** Most bytes of a login form or an approval. */
const SMALL_BODY = 4096;
/** Most live error-log streams at once. */
const MAX_STREAMS = 8;

/** What {@linkcode webHandler} serves from. */
export interface WebHandlerDeps extends WebGuardContext {
  /** Where approvals and commands are taken in (the node's intake). */
  intake: IntakePort;
  sources: Pick<WebSources, "fleet" | "messages">;
  /** Folder of `errorLog/` (-subscribersDataFolder). */
  subscribersDataFolder: string;
  /** How often the live error log looks for new lines (default 1000 ms). */
  errorPollMs?: number;
  /** Ends the live error logs (and their polling) when the page stops. */
  signal?: AbortSignal;
}

const approveSchema = z.object({
  node: z.string().min(1).max(255),
  fingerprint: z.string().min(1).max(512),
}).strict();

const sendSchema = z.object({
  toNodes: z.array(z.string().min(1).max(255)).min(1).max(10_000),
  method: z.string().regex(/^REQ\w{1,100}$/),
  methodArgs: z.array(z.string()).max(10_000),
  methodTimeout: z.number().int().positive().max(86_400).optional(),
}).strict();

function secured(body: BodyInit | null, init: ResponseInit & { type?: string } = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-security-policy", CONTENT_SECURITY_POLICY);
  headers.set("x-content-type-options", "nosniff");
  // Not no-referrer: with it a browser sends `Origin: null` for the login form.
  headers.set("referrer-policy", "same-origin");
  headers.set("x-frame-options", "DENY");
  headers.set("cache-control", "no-store");
  if (init.type) headers.set("content-type", init.type);
  return new Response(body, { status: init.status ?? 200, headers });
}

function json(value: unknown, status = 200): Response {
  return secured(JSON.stringify(value), { status, type: "application/json" });
}

function withSecurity(res: Response): Response {
  return secured(res.body, { status: res.status, headers: res.headers });
}

/**
 * Makes the handler of the web page for `deps`. Every request is checked first (see
 * `web_guard.ts`): without the listener token or a session it gets 401 (the login form for the
 * page itself) and changes nothing.
 *
 * @example
 * ```ts ignore
 * import { webHandler } from "./web_handler.ts";
 * bindHttpServer("-webListener", address, webHandler({ intake: node, sources, token, ... }));
 * ```
 */
export function webHandler(deps: WebHandlerDeps): (req: Request) => Promise<Response> {
  let streams = 0;
  const maxBody = deps.intake.config.maxMessageSize * 2;

  async function jsonBody(req: Request, limit: number): Promise<unknown | Response> {
    if (!isJsonContentType(req.headers.get("content-type"))) {
      await req.body?.cancel().catch(() => {});
      return json({ error: "the body must be application/json" }, 415);
    }
    const body = await readLimitedBody(req, limit);
    if (body.tooLarge) return json({ error: `body too large: the limit is ${limit} bytes` }, 413);
    try {
      return JSON.parse(new TextDecoder().decode(body.bytes));
    } catch {
      return json({ error: "malformed JSON" }, 400);
    }
  }

  function session(messages: unknown[], timeout: number): Response {
    const envelope = { stewardClient: 1, await: true, timeout, messages };
    return withSecurity(clientSessionResponse(deps.intake, envelope, "web"));
  }

  async function login(req: Request): Promise<Response> {
    // A form post has no custom header; its Origin (checked before) must be the page's own.
    if (req.headers.get("origin") === null) {
      await req.body?.cancel().catch(() => {});
      return json({ error: "a login must come from the page's own form" }, 403);
    }
    const body = await readLimitedBody(req, SMALL_BODY);
    const form = body.tooLarge
      ? undefined
      : new URLSearchParams(new TextDecoder().decode(body.bytes));
    if (!form || !deps.token.matches(form.get("token")?.trim())) {
      return secured(loginPage(true), { status: 401, type: "text/html; charset=utf-8" });
    }
    const id = deps.sessions.create();
    return secured(null, {
      status: 303,
      headers: { location: "/", "set-cookie": sessionCookie(id, deps.sessions.ttlMs / 1000) },
    });
  }

  function errorStream(): Response {
    if (streams >= MAX_STREAMS) return json({ error: "too many live error logs open" }, 503);
    streams++;
    const stop = new AbortController();
    const stopAll = () => stop.abort();
    deps.signal?.addEventListener("abort", stopAll, { once: true });
    stop.signal.addEventListener("abort", () => {
      streams--;
      deps.signal?.removeEventListener("abort", stopAll);
    }, { once: true });
    const encoder = new TextEncoder();
    let first = true;
    const lines = followErrorLogs(deps.subscribersDataFolder, {
      signal: stop.signal,
      intervalMs: deps.errorPollMs,
    });
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await lines.next().catch(() => ({ done: true as const, value: undefined }));
        if (next.done) {
          stop.abort();
          controller.close();
          return;
        }
        const event = first ? "event: backlog\n" : "";
        first = false;
        controller.enqueue(encoder.encode(`${event}data: ${JSON.stringify(next.value)}\n\n`));
      },
      cancel() {
        stop.abort();
      },
    });
    return secured(body, { type: "text/event-stream" });
  }

  return async (req) => {
    const url = new URL(req.url);
    const change = req.method !== "GET" && req.method !== "HEAD";
    const isLogin = url.pathname === "/login" && req.method === "POST";
    const refusal = originRefusal(req, deps.hostAndPort, change && !isLogin);
    if (refusal) {
      await req.body?.cancel().catch(() => {});
      return json({ error: refusal.error }, refusal.status);
    }
    if (isLogin) return await login(req);
    if (!isAuthenticated(req, deps)) {
      await req.body?.cancel().catch(() => {});
      if (req.method === "GET" && url.pathname === "/") {
        return secured(loginPage(false), { status: 401, type: "text/html; charset=utf-8" });
      }
      return json({
        error: "authentication required: log in, or send Authorization: Bearer " +
          "<the agent's listener token>",
      }, 401);
    }
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case "GET /":
        return secured(APP_PAGE, { type: "text/html; charset=utf-8" });
      case "GET /app.js":
        return secured(APP_SCRIPT, { type: "text/javascript; charset=utf-8" });
      case "GET /app.css":
        return secured(APP_STYLE, { type: "text/css; charset=utf-8" });
      case "GET /api/fleet":
        return json(await deps.sources.fleet());
      case "GET /api/messages": {
        const state = url.searchParams.get("state") ?? undefined;
        const limit = Number(url.searchParams.get("limit") ?? 200);
        return json(
          await deps.sources.messages({
            state: isMessageState(state) ? state : undefined,
            text: (url.searchParams.get("text") ?? "").slice(0, 200),
            limit: Number.isFinite(limit) ? Math.min(Math.max(1, limit), 1000) : 200,
          }),
        );
      }
      case "GET /api/errors":
        return errorStream();
      case "POST /logout":
        await req.body?.cancel().catch(() => {});
        deps.sessions.end(cookieValue(req.headers.get("cookie"), SESSION_COOKIE));
        return secured(null, { status: 204, headers: { "set-cookie": sessionCookie("", 0) } });
      case "POST /api/approve": {
        const body = await jsonBody(req, SMALL_BODY);
        if (body instanceof Response) return body;
        const parsed = approveSchema.safeParse(body);
        if (!parsed.success) return json({ error: "expected {node, fingerprint}" }, 400);
        // The message `-approveKey=<node>:<fingerprint>` sends (see key_command.ts).
        return session([{
          toNode: deps.intake.config.centralNodeName,
          method: "REQKeyApprove",
          methodArgs: [parsed.data.node, parsed.data.fingerprint],
          directory: "keys",
          fileName: "keys.log",
        }], 60);
      }
      case "POST /api/send": {
        const body = await jsonBody(req, maxBody);
        if (body instanceof Response) return body;
        const parsed = sendSchema.safeParse(body);
        if (!parsed.success) {
          return json({ error: "expected {toNodes, method, methodArgs, methodTimeout?}" }, 400);
        }
        const { toNodes, method, methodArgs, methodTimeout } = parsed.data;
        return session([{
          toNodes,
          method,
          methodArgs,
          ...(methodTimeout ? { methodTimeout } : {}),
          directory: "web",
          fileName: `${method}.log`,
        }], (methodTimeout ?? 30) + 30);
      }
    }
    await req.body?.cancel().catch(() => {});
    const known = ["/", "/app.js", "/app.css", "/api/fleet", "/api/messages", "/api/errors"];
    if (known.includes(url.pathname) || url.pathname.startsWith("/api/")) {
      return json({ error: `${req.method} ${url.pathname} is not served` }, 405);
    }
    return json({ error: "not found" }, 404);
  };
}
