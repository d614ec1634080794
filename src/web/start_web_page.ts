/**
 * Starts the operator's web page (`-webListener`) on the central node, as a supervised
 * listener.
 *
 * @module
 */
import type { Config } from "../config.ts";
import { bindHttpServer } from "../input/bound_http_server.ts";
import type { IntakePort } from "../input/intake_port.ts";
import { ListenerToken } from "../input/listener_token.ts";
import type { Security } from "../security/security.ts";
import type { HelloStore } from "../store/hello_store.ts";
import type { InflightStore } from "../store/inflight_store.ts";
import { webHandler } from "./web_handler.ts";
import { WebSessions } from "./web_sessions.ts";
import { WebSources } from "./web_sources.ts";

/** The node as the web page needs it: its intake, and central's stores. */
export interface WebPageDeps {
  config: Pick<
    Config,
    "webListener" | "nodeName" | "centralNodeName" | "databaseFolder" | "subscribersDataFolder"
  >;
  /** Where the page's approvals and commands go in; its hello registry. */
  intake: IntakePort & { readonly hello: Pick<HelloStore, "all"> };
  security: Pick<Security, "registry">;
  inflight: Pick<InflightStore, "list">;
}

/**
 * The address `value` of `-webListener` as `host:port`: `:port` is loopback, 127.0.0.1.
 *
 * @throws {Error} when it is not `host:port` or `:port`.
 * @example
 * ```ts
 * import { webListenAddress } from "./start_web_page.ts";
 * webListenAddress(":8090"); // "127.0.0.1:8090"
 * ```
 */
export function webListenAddress(value: string): string {
  const m = /^([^\s/]*):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) {
    throw new Error(`-webListener "${value}": expected host:port or :port`);
  }
  return `${m[1] || "127.0.0.1"}:${m[2]}`;
}

/**
 * Binds the web page of `deps.config.webListener` and serves it as a process of the node's
 * supervisor. Only the central node holds the fleet's keys, hellos and error log, so only it
 * serves the page.
 *
 * @throws {Error} on a node other than central, a bad address, an address in use, or a
 * listener token that cannot be read.
 * @example
 * ```ts ignore
 * import { startWebPage } from "./start_web_page.ts";
 * await startWebPage({ config, intake: node, security, inflight });
 * ```
 */
export async function startWebPage(deps: WebPageDeps): Promise<void> {
  const c = deps.config;
  const registry = deps.security.registry;
  if (c.nodeName !== c.centralNodeName || !registry) {
    throw new Error(
      `-webListener: only the central node (${c.centralNodeName}) serves the web page; ` +
        `${c.nodeName} holds no fleet view`,
    );
  }
  const address = webListenAddress(c.webListener);
  const token = await ListenerToken.load(deps.intake.configFolder);
  const sources = new WebSources({
    central: c.nodeName,
    databaseFolder: c.databaseFolder,
    subscribersDataFolder: c.subscribersDataFolder,
    registry,
    hello: deps.intake.hello,
    inflight: deps.inflight,
    onReply: (listener) => deps.intake.onReply(listener),
  });
  const stopping = new AbortController();
  const server = bindHttpServer(
    "-webListener",
    address,
    webHandler({
      intake: deps.intake,
      sources,
      subscribersDataFolder: c.subscribersDataFolder,
      hostAndPort: address,
      token,
      sessions: new WebSessions(),
      signal: stopping.signal,
    }),
  );
  deps.intake.print(
    `steward ${c.nodeName}: web page at http://${address}/ (log in with the token in ${token.path})`,
  );
  deps.intake.supervisor.start("listener", `web:${address}`, async (signal) => {
    signal.addEventListener("abort", () => stopping.abort(), { once: true });
    try {
      await server.run(signal);
    } finally {
      sources.close();
    }
  });
}
