/**
 * Renders the nats-server configurations of the ship topology: a hub (one server or a cluster)
 * on shore, and on each ship a server that is a leaf node of the hub. Agents authenticate with
 * their own nkey at the server they connect to (central at the hub, a ship's nodes at the
 * ship's server); a leaf connection authenticates with its ship's TLS client certificate, and the
 * hub limits it to the subjects of that ship's nodes.
 *
 * @module
 */
import { type BrokerUser, nodePermissions } from "./nats_server_config.ts";

/** PEM files of one side of a TLS connection. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** A ship: its leaf connection's certificate name and the Steward nodes running on it. */
export interface Ship {
  /** The ship's name; its leaf certificate's subject is `CN=leaf-<name>`. */
  name: string;
  /** Nodes on the ship, each with its nkey public key. */
  nodes: readonly BrokerUser[];
}

/** Options of {@linkcode renderHubConfig}. */
export interface HubConfigOptions {
  /** Name of this hub server, as monitoring shows it. */
  serverName: string;
  /** Listen address of every port (default `0.0.0.0`). */
  host?: string;
  /** Client port, where central connects (default 4222). */
  port?: number;
  /** Port where ships' leaf nodes connect (default 7422). */
  leafPort?: number;
  /** Monitoring port (`/varz`, `/leafz`, `/connz`); off when absent. */
  monitorPort?: number;
  /** The hub's certificate for the leaf port; the CA signs the ships' leaf certificates. */
  leafTls: TlsFiles;
  /** Makes this server one of a cluster: its route port and every server's route URL. */
  cluster?: { name: string; port: number; routes: readonly string[] };
  /** Nodes other than central that ships may also publish to (as `--peers` of nats_auth.ts). */
  peers?: readonly string[];
}

/** Options of {@linkcode renderShipConfig}. */
export interface ShipConfigOptions {
  /** Listen address for the ship's agents (default `127.0.0.1`: they run on the ship). */
  host?: string;
  /** Client port (default 4222). */
  port?: number;
  /** Monitoring port; off when absent. */
  monitorPort?: number;
  /** Leaf URLs of every hub server (`nats-leaf://host:7422`). */
  hubUrls: readonly string[];
  /** The ship's leaf certificate (`CN=leaf-<ship>`) and the CA of the hub's certificate. */
  leafTls: TlsFiles;
  /** Seconds between attempts to reach the hub while the link is down (default 1). */
  reconnectSeconds?: number;
  /** Nodes other than central that the ship's nodes may also publish to. */
  peers?: readonly string[];
}

type Permissions = ReturnType<typeof nodePermissions>;

/**
 * The certificate subject a ship's leaf connection presents: the hub maps it to the user that
 * carries that ship's permissions (`verify_and_map`).
 *
 * @example
 * ```ts
 * import { leafUser } from "./leaf_node_config.ts";
 * leafUser("ship1"); // "CN=leaf-ship1"
 * ```
 */
export function leafUser(ship: string): string {
  return `CN=leaf-${ship}`;
}

/**
 * What the hub lets a ship's leaf connection carry: the union of its nodes' own permissions,
 * plus ACKs to central's inbox (a server does not track responses across a leaf connection, so
 * `allow_responses` does not cover them there).
 *
 * @example
 * ```ts
 * import { leafPermissions } from "./leaf_node_config.ts";
 * leafPermissions(["ship1"], "central").publish.allow; // ["central.>", "_INBOX.central.>"]
 * leafPermissions(["ship1"], "central").subscribe.allow; // ["ship1.>", "_INBOX.ship1.>"]
 * ```
 */
export function leafPermissions(
  nodes: readonly string[],
  centralNodeName: string,
  peers: readonly string[] = [],
): Permissions {
  const publish = new Set<string>();
  const subscribe = new Set<string>();
  for (const n of nodes) {
    const p = nodePermissions(n, centralNodeName, peers);
    for (const s of p.publish.allow) if (!nodes.some((own) => s === `${own}.>`)) publish.add(s);
    for (const s of p.subscribe.allow) subscribe.add(s);
  }
  publish.add(`_INBOX.${centralNodeName}.>`);
  return { publish: { allow: [...publish] }, subscribe: { allow: [...subscribe] } };
}

/**
 * What a node may do at its ship's server: what it may do today at a single broker
 * ({@linkcode nodePermissions}), plus messages to itself and to the other nodes of its ship,
 * which never leave the ship.
 *
 * @example
 * ```ts
 * import { shipNodePermissions } from "./leaf_node_config.ts";
 * shipNodePermissions("ship1", ["ship1"], "central").publish.allow; // ["central.>", "ship1.>"]
 * ```
 */
export function shipNodePermissions(
  nodeName: string,
  shipNodes: readonly string[],
  centralNodeName: string,
  peers: readonly string[] = [],
): Permissions {
  const p = nodePermissions(nodeName, centralNodeName, peers);
  const allow = new Set([...p.publish.allow, ...shipNodes.map((n) => `${n}.>`)]);
  return { publish: { allow: [...allow] }, subscribe: p.subscribe };
}

const list = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;

function userBlock(
  comment: string,
  identity: string,
  p: Permissions,
  extra: string[],
): string[] {
  return [
    "    {",
    `      # ${comment}`,
    `      ${identity}`,
    "      permissions: {",
    `        publish: { allow: ${list(p.publish.allow)}${
      p.publish.deny ? `, deny: ${list(p.publish.deny)}` : ""
    } }`,
    `        subscribe: { allow: ${list(p.subscribe.allow)} }`,
    ...extra.map((e) => `        ${e}`),
    "      }",
    ...(identity.startsWith("user:") ? ['      allowed_connection_types: ["LEAFNODE"]'] : []),
    "    }",
  ];
}

function tlsBlock(indent: string, tls: TlsFiles, extra: string[]): string[] {
  return [
    `${indent}tls {`,
    `${indent}  cert_file: ${JSON.stringify(tls.certFile)}`,
    `${indent}  key_file: ${JSON.stringify(tls.keyFile)}`,
    `${indent}  ca_file: ${JSON.stringify(tls.caFile)}`,
    ...extra.map((e) => `${indent}  ${e}`),
    `${indent}}`,
  ];
}

/**
 * Renders the configuration of one hub server: central's nkey user, one leaf user per ship
 * (mapped from its TLS certificate, allowed only as a leaf connection), the leaf port with
 * mutual TLS, and with `cluster` the routes to the other hub servers.
 *
 * @example
 * ```ts
 * import { renderHubConfig } from "./leaf_node_config.ts";
 * const text = renderHubConfig(
 *   { nodeName: "central", publicKey: "UA…" },
 *   [{ name: "ship1", nodes: [{ nodeName: "ship1", publicKey: "UB…" }] }],
 *   { serverName: "hub", leafTls: { certFile: "hub.pem", keyFile: "hub-key.pem", caFile: "ca.pem" } },
 * );
 * text.includes('user: "CN=leaf-ship1"'); // true
 * ```
 */
export function renderHubConfig(
  central: BrokerUser,
  ships: readonly Ship[],
  options: HubConfigOptions,
): string {
  const host = JSON.stringify(options.host ?? "0.0.0.0");
  const lines = [
    "# Generated by scripts/nats_leaf.ts: a hub server. Central authenticates with its nkey;",
    "# each ship's leaf connection with its TLS certificate, limited to that ship's subjects.",
    `server_name: ${JSON.stringify(options.serverName)}`,
    `host: ${host}`,
    `port: ${options.port ?? 4222}`,
  ];
  if (options.monitorPort !== undefined) lines.push(`http_port: ${options.monitorPort}`);
  lines.push("authorization: {", "  users = [");
  lines.push(
    ...userBlock(
      central.nodeName,
      `nkey: ${central.publicKey}`,
      nodePermissions(central.nodeName, central.nodeName, options.peers),
      ["allow_responses: true"],
    ),
  );
  for (const ship of ships) {
    const names = ship.nodes.map((n) => n.nodeName);
    lines.push(
      ...userBlock(
        `leaf connection of ship ${ship.name}: ${names.join(", ")}`,
        `user: ${JSON.stringify(leafUser(ship.name))}`,
        leafPermissions(names, central.nodeName, options.peers),
        [],
      ),
    );
  }
  lines.push("  ]", "}");
  lines.push(
    "leafnodes {",
    `  host: ${host}`,
    `  port: ${options.leafPort ?? 7422}`,
    ...tlsBlock("  ", options.leafTls, ["verify_and_map: true"]),
    "}",
  );
  if (options.cluster) {
    lines.push(
      "cluster {",
      `  name: ${JSON.stringify(options.cluster.name)}`,
      `  host: ${host}`,
      `  port: ${options.cluster.port}`,
      `  routes: ${list(options.cluster.routes)}`,
      "}",
    );
  }
  lines.push("");
  return lines.join("\n");
}

/**
 * Renders the configuration of a ship's server: one nkey user per node of the ship, and the
 * leaf connection to every hub server with the ship's TLS certificate.
 *
 * @example
 * ```ts
 * import { renderShipConfig } from "./leaf_node_config.ts";
 * const text = renderShipConfig(
 *   { name: "ship1", nodes: [{ nodeName: "ship1", publicKey: "UB…" }] },
 *   "central",
 *   {
 *     hubUrls: ["nats-leaf://hub.example.org:7422"],
 *     leafTls: { certFile: "leaf-ship1.pem", keyFile: "leaf-ship1-key.pem", caFile: "ca.pem" },
 *   },
 * );
 * text.includes('urls: ["nats-leaf://hub.example.org:7422"]'); // true
 * ```
 */
export function renderShipConfig(
  ship: Ship,
  centralNodeName: string,
  options: ShipConfigOptions,
): string {
  const names = ship.nodes.map((n) => n.nodeName);
  const lines = [
    "# Generated by scripts/nats_leaf.ts: a ship's server, a leaf node of the hub. The ship's",
    "# nodes connect here with their nkeys; messages between them never leave the ship.",
    `server_name: ${JSON.stringify(ship.name)}`,
    `host: ${JSON.stringify(options.host ?? "127.0.0.1")}`,
    `port: ${options.port ?? 4222}`,
  ];
  if (options.monitorPort !== undefined) lines.push(`http_port: ${options.monitorPort}`);
  lines.push("authorization: {", "  users = [");
  for (const node of ship.nodes) {
    lines.push(
      ...userBlock(
        node.nodeName,
        `nkey: ${node.publicKey}`,
        shipNodePermissions(node.nodeName, names, centralNodeName, options.peers),
        ["allow_responses: true"],
      ),
    );
  }
  lines.push("  ]", "}");
  lines.push(
    "leafnodes {",
    `  reconnect: ${options.reconnectSeconds ?? 1}`,
    "  remotes = [",
    "    {",
    `      urls: ${list(options.hubUrls)}`,
    ...tlsBlock("      ", options.leafTls, []),
    "    }",
    "  ]",
    "}",
    "",
  );
  return lines.join("\n");
}
