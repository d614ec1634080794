/**
 * The Prometheus listener: serves a node's registry at `/metrics` on `--promHostAndPort`.
 *
 * @module
 */
import type { Registry } from "npm:prom-client@15.1.3";
import { bindHttpServer, type BoundHttpServer } from "./input/bound_http_server.ts";

/** A bound `/metrics` listener, served until the signal given to `run` aborts. */
export type MetricsServer = BoundHttpServer;

/**
 * Binds `hostAndPort` (`host:port`, an empty host meaning 127.0.0.1) and serves `registry` in
 * Prometheus text format at `GET /metrics`; anything else gets 404. Binding happens now, so a
 * port in use fails the node's start rather than a background process.
 *
 * @throws {Error} when the address cannot be bound, naming the flag and the address.
 * @example
 * ```ts
 * import client from "npm:prom-client@15.1.3";
 * import { serveMetrics } from "./metrics_server.ts";
 * const server = serveMetrics(new client.Registry(), "127.0.0.1:0");
 * const stop = new AbortController();
 * const running = server.run(stop.signal);
 * const res = await fetch(`http://127.0.0.1:${server.addr.port}/metrics`);
 * await res.body?.cancel();
 * stop.abort();
 * await running;
 * ```
 */
export function serveMetrics(registry: Registry, hostAndPort: string): MetricsServer {
  return bindHttpServer("-promHostAndPort", hostAndPort, (req) => {
    const path = new URL(req.url).pathname;
    if (path !== "/metrics") return new Response("only /metrics here\n", { status: 404 });
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("use GET\n", { status: 405 });
    }
    return scrape(registry);
  });
}

async function scrape(registry: Registry): Promise<Response> {
  try {
    return new Response(await registry.metrics(), {
      headers: { "content-type": registry.contentType },
    });
  } catch (err) {
    // A failing collector should be visible to whoever scrapes, not crash the listener.
    return new Response(`cannot collect metrics: ${(err as Error).message}\n`, { status: 500 });
  }
}
