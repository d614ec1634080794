import { assertEquals, assertRejects } from "../../test/assert.ts";
import { defaultConfig } from "../config.ts";
import type { Message } from "../message/schema.ts";
import { httpGet } from "./http_get.ts";
import type { MethodContext, NodeServices } from "./types.ts";

function context(url: string, signal: AbortSignal, maxMessageSize = 1 << 20): MethodContext {
  const node = { config: defaultConfig({ nodeName: "ship1", maxMessageSize }) };
  const message = { methodArgs: [url], methodTimeout: 1 } as Partial<Message>;
  return {
    node: node as unknown as NodeServices,
    message: message as Message,
    signal,
    emit: () => Promise.resolve(),
  };
}

async function withServer(
  handler: (req: Request) => Response | Promise<Response>,
  test: (base: string) => Promise<void>,
): Promise<void> {
  const stop = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: stop.signal, onListen: () => {} },
    handler,
  );
  try {
    await test(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    stop.abort();
    await server.finished;
  }
}

Deno.test("REQHttpGet replies with the body of a 200", async () => {
  await withServer(() => new Response("<html>hi</html>"), async (base) => {
    const out = await httpGet.handler(context(`${base}/page`, AbortSignal.timeout(5000)));
    assertEquals(out.data, "<html>hi</html>");
  });
});

Deno.test("REQHttpGet makes a 404 an error naming the status and the URL", async () => {
  await withServer(() => new Response("nope", { status: 404 }), async (base) => {
    await assertRejects(
      () => httpGet.handler(context(`${base}/missing`, AbortSignal.timeout(5000))),
      new RegExp(`^HTTP 404 Not Found from ${base}/missing$`),
    );
  });
});

Deno.test("REQHttpGet gives up on a hanging server when methodTimeout ends", async () => {
  const release = Promise.withResolvers<void>();
  await withServer(async () => {
    await release.promise;
    return new Response("too late");
  }, async (base) => {
    const started = Date.now();
    await assertRejects(
      () => httpGet.handler(context(`${base}/slow`, AbortSignal.timeout(300))),
      /no complete answer within methodTimeout \(1 s\)/,
    );
    assertEquals(Date.now() - started < 2000, true);
    release.resolve();
  });
});

Deno.test("REQHttpGet refuses a body larger than maxMessageSize", async () => {
  await withServer(() => new Response("x".repeat(5000)), async (base) => {
    await assertRejects(
      () => httpGet.handler(context(`${base}/big`, AbortSignal.timeout(5000), 1000)),
      /body of 5000 bytes exceeds the maxMessageSize of 1000 bytes/,
    );
  });
});

Deno.test("REQHttpGet reports an unreachable server and a bad URL clearly", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await assertRejects(
    () => httpGet.handler(context(`http://127.0.0.1:${port}/`, AbortSignal.timeout(5000))),
    new RegExp(`^HTTP GET http://127.0.0.1:${port}/ failed: `),
  );
  await assertRejects(
    () => httpGet.handler(context("file:///etc/passwd", AbortSignal.timeout(5000))),
    /only http and https URLs/,
  );
});

Deno.test("REQHttpGet follows a redirect on the same host, not to another host", async () => {
  await withServer((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/old") return Response.redirect(new URL("/new", req.url), 301);
    if (path === "/away") return Response.redirect("http://169.254.169.254/latest/", 302);
    if (path === "/loop") return Response.redirect(new URL("/loop", req.url), 302);
    return new Response(`at ${path}`);
  }, async (base) => {
    const out = await httpGet.handler(context(`${base}/old`, AbortSignal.timeout(5000)));
    assertEquals(out.data, "at /new");
    await assertRejects(
      () => httpGet.handler(context(`${base}/away`, AbortSignal.timeout(5000))),
      /redirected to http:\/\/169.254.169.254\/latest\/, another host; not followed/,
    );
    await assertRejects(
      () => httpGet.handler(context(`${base}/loop`, AbortSignal.timeout(5000))),
      /more than 5 redirects/,
    );
  });
});
