/**
 * The Prometheus listener: serves a node's registry at `/metrics` on `--promHostAndPort`.
 *
 * @module
 */
import type { Registry } from "npm:prom-client@15.1.3";

/** A bound `/metrics` listener, served until the signal given to `run` aborts. */
export interface MetricsServer {
  /** The address actually bound (useful with port 0). */
  readonly addr: Deno.NetAddr;
  /** Serves scrapes until `signal` aborts, then closes the listener. */
  run(signal: AbortSignal): Promise<void>;
}

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
  const at = hostAndPort.lastIndexOf(":");
  const hostname = hostAndPort.slice(0, at) || "127.0.0.1";
  const port = Number(hostAndPort.slice(at + 1));
  const controller = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname, port, signal: controller.signal, onListen: () => {} },
      (req) => {
        const path = new URL(req.url).pathname;
        if (path !== "/metrics") return new Response("only /metrics here\n", { status: 404 });
        if (req.method !== "GET" && req.method !== "HEAD") {
          return new Response("use GET\n", { status: 405 });
        }
        return scrape(registry);
      },
    );
  } catch (err) {
    throw new Error(`Cannot open -promHostAndPort ${hostAndPort}: ${(err as Error).message}`);
  }
  return {
    addr: server.addr,
    async run(signal: AbortSignal): Promise<void> {
      if (signal.aborted) controller.abort();
      else signal.addEventListener("abort", () => controller.abort(), { once: true });
      await server.finished;
    },
  };
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
