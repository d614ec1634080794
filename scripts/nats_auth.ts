/**
 * `deno run -A scripts/nats_auth.ts --out <folder> --central central --nodes ship1,ship2 [--tls]`
 * generates one nkey per node (seed files readable only by their owner), a nats-server config
 * where each node may only use its own subjects, and with `--tls` a CA, a broker certificate and
 * one client certificate per node (needs `openssl`).
 *
 * Then start the broker with `nats-server -c <out>/nats-server.conf` and each agent with
 * `-nkeySeedFile=<out>/nkeys/<node>.seed` (and `-rootCAPath=<out>/tls/ca.pem
 * -certFile=<out>/tls/<node>.pem -keyFile=<out>/tls/<node>-key.pem` with TLS).
 *
 * @module
 */
import { createUser } from "npm:@nats-io/nkeys@2.0.3";
import { join, resolve } from "node:path";
import { renderNatsServerConfig } from "../src/security/nats_server_config.ts";
import { NODE_NAME_PATTERN } from "../src/message/schema.ts";

/** What {@linkcode generateBrokerAuth} wrote. */
export interface BrokerAuthFiles {
  config: string;
  seeds: Record<string, string>;
  publicKeys: Record<string, string>;
  tls?: { ca: string; certs: Record<string, { certFile: string; keyFile: string }> };
}

/** Options of {@linkcode generateBrokerAuth}. */
export interface BrokerAuthOptions {
  central: string;
  nodes: readonly string[];
  port?: number;
  host?: string;
  tls?: boolean;
  peers?: readonly string[];
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/**
 * Writes a CA, a broker certificate (`server.pem`, SAN `localhost`/`127.0.0.1`) and one client
 * certificate per name (subject `CN=<name>`) into `dir`; needs `openssl`.
 *
 * @example
 * ```ts ignore
 * import { makeCertificates } from "./nats_auth.ts";
 * const { ca, certs } = await makeCertificates("/tmp/tls", ["ship1"]);
 * ```
 */
export async function makeCertificates(
  dir: string,
  names: readonly string[],
): Promise<{ ca: string; certs: Record<string, { certFile: string; keyFile: string }> }> {
  await Deno.mkdir(dir, { recursive: true });
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "ca-key.pem",
    "-out",
    "ca.pem",
    "-days",
    "825",
    "-subj",
    "/CN=steward-ca",
  ], dir);
  const sign = async (name: string, ext: string) => {
    await openssl([
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${name}-key.pem`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${name}`,
    ], dir);
    await Deno.writeTextFile(join(dir, `${name}.ext`), ext);
    await openssl([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "825",
      "-extfile",
      `${name}.ext`,
    ], dir);
    await Deno.chmod(join(dir, `${name}-key.pem`), 0o600);
    await Deno.remove(join(dir, `${name}.csr`));
    await Deno.remove(join(dir, `${name}.ext`));
  };
  await sign("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  const certs: Record<string, { certFile: string; keyFile: string }> = {};
  for (const n of names) {
    await sign(n, "extendedKeyUsage=clientAuth\n");
    certs[n] = { certFile: join(dir, `${n}.pem`), keyFile: join(dir, `${n}-key.pem`) };
  }
  await Deno.chmod(join(dir, "ca-key.pem"), 0o600);
  return { ca: join(dir, "ca.pem"), certs };
}

/**
 * Writes one nkey user per node into `dir`: `<node>.seed` (mode 0600, the secret) and
 * `<node>.pub`.
 *
 * @example
 * ```ts ignore
 * import { writeNkeys } from "./nats_auth.ts";
 * const { seeds, publicKeys } = await writeNkeys("/tmp/auth/nkeys", ["central", "ship1"]);
 * ```
 */
export async function writeNkeys(
  dir: string,
  names: readonly string[],
): Promise<{ seeds: Record<string, string>; publicKeys: Record<string, string> }> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const seeds: Record<string, string> = {};
  const publicKeys: Record<string, string> = {};
  for (const n of names) {
    const user = createUser();
    seeds[n] = join(dir, `${n}.seed`);
    publicKeys[n] = user.getPublicKey();
    await Deno.writeTextFile(seeds[n], new TextDecoder().decode(user.getSeed()) + "\n", {
      mode: 0o600,
    });
    await Deno.chmod(seeds[n], 0o600);
    await Deno.writeTextFile(join(dir, `${n}.pub`), publicKeys[n] + "\n");
  }
  return { seeds, publicKeys };
}

/**
 * Writes nkeys, the broker config and (optionally) TLS certificates into `out`.
 *
 * @example
 * ```ts ignore
 * import { generateBrokerAuth } from "./nats_auth.ts";
 * const files = await generateBrokerAuth("/tmp/auth", { central: "central", nodes: ["ship1"] });
 * console.log(files.config); // /tmp/auth/nats-server.conf
 * ```
 */
export async function generateBrokerAuth(
  out: string,
  options: BrokerAuthOptions,
): Promise<BrokerAuthFiles> {
  const dir = resolve(out);
  const names = [...new Set([options.central, ...options.nodes])];
  for (const n of names) {
    if (!NODE_NAME_PATTERN.test(n)) throw new Error(`"${n}" is not a valid node name`);
  }
  const { seeds, publicKeys } = await writeNkeys(join(dir, "nkeys"), names);
  const tls = options.tls ? await makeCertificates(join(dir, "tls"), names) : undefined;
  const config = join(dir, "nats-server.conf");
  await Deno.writeTextFile(
    config,
    renderNatsServerConfig(
      options.central,
      names.map((nodeName) => ({ nodeName, publicKey: publicKeys[nodeName] })),
      {
        port: options.port,
        host: options.host,
        peers: options.peers,
        tls: tls
          ? {
            certFile: join(dir, "tls", "server.pem"),
            keyFile: join(dir, "tls", "server-key.pem"),
            caFile: tls.ca,
            verify: true,
          }
          : undefined,
      },
    ),
  );
  return { config, seeds, publicKeys, tls };
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i].includes("=") ? args[i].slice(args[i].indexOf("=") + 1) : args[i + 1];
}

if (import.meta.main) {
  const args = Deno.args;
  const out = argValue(args, "out") ?? "./broker-auth";
  const central = argValue(args, "central") ?? "central";
  const nodes = (argValue(args, "nodes") ?? "").split(",").filter((n) => n !== "");
  const peers = (argValue(args, "peers") ?? "").split(",").filter((n) => n !== "");
  const port = Number(argValue(args, "port") ?? 4222);
  const files = await generateBrokerAuth(out, {
    central,
    nodes,
    peers,
    port,
    host: argValue(args, "host"),
    tls: args.includes("--tls"),
  });
  console.log(`broker config: ${files.config}`);
  for (const [n, seed] of Object.entries(files.seeds)) {
    const tls = files.tls
      ? ` -rootCAPath=${files.tls.ca} -certFile=${files.tls.certs[n].certFile} -keyFile=${
        files.tls.certs[n].keyFile
      }`
      : "";
    console.log(`${n}: -nkeySeedFile=${seed}${tls}`);
  }
}
