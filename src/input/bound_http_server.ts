/**
 * An HTTP listener bound at once and served as a supervised process: the shape shared by
 * `-httpListener`, `-promHostAndPort` and `-exposeDataFolder`.
 *
 * @module
 */

/** A bound HTTP listener, served until the signal given to `run` aborts. */
export interface BoundHttpServer {
  /** The address actually bound (useful with port 0). */
  readonly addr: Deno.NetAddr;
  /** Serves requests until `signal` aborts, then closes the listener. */
  run(signal: AbortSignal): Promise<void>;
}

/**
 * Splits `host:port`; an empty host means 127.0.0.1.
 *
 * @example
 * ```ts
 * import { splitHostPort } from "./bound_http_server.ts";
 * splitHostPort(":2112"); // { hostname: "127.0.0.1", port: 2112 }
 * ```
 */
export function splitHostPort(value: string): { hostname: string; port: number } {
  const at = value.lastIndexOf(":");
  return { hostname: value.slice(0, at) || "127.0.0.1", port: Number(value.slice(at + 1)) };
}

/**
 * Binds `hostAndPort` now, so that an address in use fails the node's start rather than a
 * background process, and serves `handler` once `run` is called.
 *
 * @throws {Error} when the address cannot be bound, naming `flag` and the address.
 * @example
 * ```ts
 * import { bindHttpServer } from "./bound_http_server.ts";
 * const server = bindHttpServer("-httpListener", "127.0.0.1:0", () => new Response("hi"));
 * const stop = new AbortController();
 * const running = server.run(stop.signal);
 * console.assert((await (await fetch(`http://127.0.0.1:${server.addr.port}/`)).text()) === "hi");
 * stop.abort();
 * await running;
 * ```
 */
export function bindHttpServer(
  flag: string,
  hostAndPort: string,
  handler: (req: Request) => Response | Promise<Response>,
): BoundHttpServer {
  const controller = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { ...splitHostPort(hostAndPort), signal: controller.signal, onListen: () => {} },
      handler,
    );
  } catch (err) {
    throw new Error(`Cannot open ${flag} ${hostAndPort}: ${(err as Error).message}`);
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
