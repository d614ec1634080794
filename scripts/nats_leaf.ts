/**
 * `deno run -A scripts/nats_leaf.ts --out <folder> --central central --ships ship1,ship2
 * [--hub host:4222:7422,…] [--peers runner]` generates the files of the ship topology (see
 * doc/leaf-nodes.md): one nkey per node, a CA with the hub's certificate and one leaf
 * certificate per ship (needs `openssl`), a config per hub server (`hub-<n>.conf`, a cluster
 * when `--hub` names several) and one per ship (`ship-<ship>.conf`).
 * `deno run -A scripts/nats_leaf.ts --examples doc/leaf-nodes` writes the doc's example configs.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { makeCertificates, writeNkeys } from "./nats_auth.ts";
import {
  renderHubConfig,
  renderShipConfig,
  type TlsFiles,
} from "../src/security/leaf_node_config.ts";
import { NODE_NAME_PATTERN } from "../src/message/schema.ts";

/** One hub server: where it listens for central, for ships' leaf nodes and for its peers. */
export interface HubServer {
  host: string;
  port: number;
  leafPort: number;
  /** Route port, used when the hub has more than one server. */
  routePort?: number;
  monitorPort?: number;
}

/** A ship and the Steward nodes on it; a ship is usually one node named like the ship. */
export interface ShipNodes {
  name: string;
  nodes: readonly string[];
  /** Client port of the ship's server (default 4222). */
  port?: number;
  monitorPort?: number;
}

/** Options of {@linkcode generateLeafTopology}. */
export interface LeafTopologyOptions {
  central: string;
  ships: readonly ShipNodes[];
  /** The hub's servers; three or more make a cluster. */
  hub: readonly HubServer[];
  peers?: readonly string[];
}

/** What {@linkcode generateLeafTopology} wrote. */
export interface LeafTopologyFiles {
  /** Config file of each hub server, in the order of `hub`. */
  hubConfigs: string[];
  /** Config file of each ship's server, by ship name. */
  shipConfigs: Record<string, string>;
  /** nkey seed file of each node (central and every ship's nodes). */
  seeds: Record<string, string>;
  /** The CA every certificate here is signed by. */
  ca: string;
}

/**
 * Writes the nkeys, certificates and nats-server configs of a hub and its ships into `out`.
 *
 * @example
 * ```ts ignore
 * import { generateLeafTopology } from "./nats_leaf.ts";
 * const files = await generateLeafTopology("/tmp/leaf", {
 *   central: "central",
 *   ships: [{ name: "ship1", nodes: ["ship1"] }],
 *   hub: [{ host: "127.0.0.1", port: 4222, leafPort: 7422 }],
 * });
 * ```
 */
export async function generateLeafTopology(
  out: string,
  options: LeafTopologyOptions,
): Promise<LeafTopologyFiles> {
  const dir = resolve(out);
  const nodes = [options.central, ...options.ships.flatMap((s) => s.nodes)];
  for (const n of [...nodes, ...options.ships.map((s) => s.name)]) {
    if (!NODE_NAME_PATTERN.test(n)) throw new Error(`"${n}" is not a valid node or ship name`);
  }
  if (new Set(nodes).size !== nodes.length) {
    throw new Error("each node belongs to one ship, and central to none");
  }
  if (options.hub.length === 0) throw new Error("give at least one hub server");
  const { seeds, publicKeys } = await writeNkeys(join(dir, "nkeys"), nodes);
  const tlsDir = join(dir, "tls");
  const { ca, certs } = await makeCertificates(tlsDir, options.ships.map((s) => `leaf-${s.name}`));
  const user = (nodeName: string) => ({ nodeName, publicKey: publicKeys[nodeName] });
  const ships = options.ships.map((s) => ({ name: s.name, nodes: s.nodes.map(user) }));
  const hubTls: TlsFiles = {
    certFile: join(tlsDir, "server.pem"),
    keyFile: join(tlsDir, "server-key.pem"),
    caFile: ca,
  };
  const clustered = options.hub.length > 1;
  const routes = options.hub.map((h) => `nats://${h.host}:${h.routePort}`);
  if (clustered && options.hub.some((h) => h.routePort === undefined)) {
    throw new Error("a hub of several servers needs a routePort for each");
  }
  const hubConfigs: string[] = [];
  for (const [i, h] of options.hub.entries()) {
    const file = join(dir, `hub-${i + 1}.conf`);
    await Deno.writeTextFile(
      file,
      renderHubConfig(user(options.central), ships, {
        serverName: `hub-${i + 1}`,
        host: h.host,
        port: h.port,
        leafPort: h.leafPort,
        monitorPort: h.monitorPort,
        leafTls: hubTls,
        peers: options.peers,
        ...(clustered ? { cluster: { name: "steward-hub", port: h.routePort!, routes } } : {}),
      }),
    );
    hubConfigs.push(file);
  }
  const hubUrls = options.hub.map((h) => `nats-leaf://${h.host}:${h.leafPort}`);
  const shipConfigs: Record<string, string> = {};
  for (const [i, ship] of ships.entries()) {
    const file = join(dir, `ship-${ship.name}.conf`);
    const leaf = certs[`leaf-${ship.name}`];
    await Deno.writeTextFile(
      file,
      renderShipConfig(ship, options.central, {
        port: options.ships[i].port,
        monitorPort: options.ships[i].monitorPort,
        hubUrls,
        leafTls: { ...leaf, caFile: ca },
        peers: options.peers,
      }),
    );
    shipConfigs[ship.name] = file;
  }
  return { hubConfigs, shipConfigs, seeds, ca };
}

/**
 * The configs doc/leaf-nodes.md shows: a hub of three servers (the first one's config) and
 * ship1, rendered as {@linkcode generateLeafTopology} renders them, with placeholders for the
 * keys and the files under `/etc/nats`.
 *
 * @example
 * ```ts
 * import { exampleConfigs } from "./nats_leaf.ts";
 * Object.keys(exampleConfigs()); // ["hub-1.conf.example", "ship-ship1.conf.example"]
 * ```
 */
export function exampleConfigs(): Record<string, string> {
  const user = (nodeName: string) => ({ nodeName, publicKey: `<NKEY_PUBLIC_${nodeName}>` });
  const ship = { name: "ship1", nodes: [user("ship1")] };
  const hubs = ["hub-1.example.org", "hub-2.example.org", "hub-3.example.org"];
  const tls = (cert: string) => ({
    certFile: `/etc/nats/tls/${cert}.pem`,
    keyFile: `/etc/nats/tls/${cert}-key.pem`,
    caFile: "/etc/nats/tls/ca.pem",
  });
  return {
    "hub-1.conf.example": renderHubConfig(user("central"), [ship], {
      serverName: "hub-1",
      monitorPort: 8222,
      leafTls: tls("server"),
      cluster: { name: "steward-hub", port: 6222, routes: hubs.map((h) => `nats://${h}:6222`) },
    }),
    "ship-ship1.conf.example": renderShipConfig(ship, "central", {
      monitorPort: 8222,
      hubUrls: hubs.map((h) => `nats-leaf://${h}:7422`),
      leafTls: tls("leaf-ship1"),
    }),
  };
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i].includes("=") ? args[i].slice(args[i].indexOf("=") + 1) : args[i + 1];
}

if (import.meta.main && Deno.args.includes("--examples")) {
  const out = Deno.args[Deno.args.indexOf("--examples") + 1];
  for (const [name, text] of Object.entries(exampleConfigs())) {
    await Deno.writeTextFile(join(out, name), text);
  }
} else if (import.meta.main) {
  const args = Deno.args;
  const hub = (argValue(args, "hub") ?? "0.0.0.0:4222:7422").split(",").map((spec, i) => {
    const [host, port, leafPort, routePort] = spec.split(":");
    return {
      host,
      port: Number(port),
      leafPort: Number(leafPort),
      routePort: Number(routePort ?? 6222 + i),
    };
  });
  const files = await generateLeafTopology(argValue(args, "out") ?? "./leaf-topology", {
    central: argValue(args, "central") ?? "central",
    ships: (argValue(args, "ships") ?? "").split(",").filter((s) => s !== "").map((name) => ({
      name,
      nodes: [name],
    })),
    hub,
    peers: (argValue(args, "peers") ?? "").split(",").filter((n) => n !== ""),
  });
  for (const c of files.hubConfigs) console.log(`hub: nats-server -c ${c}`);
  for (const [ship, c] of Object.entries(files.shipConfigs)) {
    console.log(`${ship}: nats-server -c ${c}`);
  }
  for (const [n, seed] of Object.entries(files.seeds)) console.log(`${n}: -nkeySeedFile=${seed}`);
}
