/**
 * The narrowest Deno permissions an agent's configuration and ACL allow. `src/permissions.ts`
 * turns them into the flags of `deno task agent`, `deno task compile` and the test harness.
 *
 * @module
 */
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { Config } from "../config.ts";
import { ACCESS_RULE_FIELDS, type Acl } from "./acl.ts";
import type { AccessKind } from "../methods/spec.ts";
import { methodsAccessing } from "../methods/table.ts";
import { fileURLToPath } from "node:url";
import { SPAWN_WORKER_MODULES } from "../methods/spawn_thread.ts";

/** What the sandbox is derived from. */
export interface SandboxInput {
  config: Config;
  /** The agent's CONFIG_FOLDER (signing key, config.json, acl.json). */
  configFolder: string;
  /** The ACL in force (the agent's `acl.json`); the default ACL when absent. */
  acl: Acl;
  /** Folder the agent runs in; relative paths in the config are resolved against it. */
  cwd: string;
  /** `PATH` used to resolve executables named without a folder (default: this process's). */
  path?: string;
  /** The repository root, read by playbook subprocesses (only with -playbooksFolder). */
  root?: string;
}

/** One Deno permission: everything (`true`), nothing (empty list), or these values. */
export type Grant = true | string[];

/** The permissions of a sandboxed agent. */
export interface Sandbox {
  read: Grant;
  write: Grant;
  net: Grant;
  run: Grant;
}

function listenAddress(hostPort: string): string {
  // `:9090` listens on every interface: Deno names that 0.0.0.0.
  return hostPort.startsWith(":") ? `0.0.0.0${hostPort}` : hostPort;
}

function brokerHosts(brokerAddress: string): string[] {
  return brokerAddress.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    const bare = s.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
    return /:\d+$/.test(bare) ? bare : `${bare}:4222`;
  });
}

function which(name: string, path: string): string[] {
  const found: string[] = [];
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    try {
      const candidate = join(dir, name);
      if (Deno.statSync(candidate).isFile) found.push(candidate);
    } catch {
      // Not in this folder.
    }
  }
  return found.slice(0, 1);
}

/**
 * What the ACL lets the methods of the table touch, by kind of access: the values of the rule
 * field each kind is judged by (`ACCESS_RULE_FIELDS`), from every rule. Only kinds some method
 * of the table has are granted: a rule field no method uses opens nothing.
 */
function aclGrants(acl: Acl): Record<AccessKind, string[]> {
  const grants: Record<AccessKind, string[]> = { command: [], read: [], write: [], url: [] };
  for (const kind of Object.keys(grants) as AccessKind[]) {
    if (methodsAccessing(kind).length === 0) continue;
    const field = ACCESS_RULE_FIELDS[kind];
    grants[kind] = acl.rules.flatMap((r) =>
      field === "commands" ? (r.commands ?? []).map((c) => c.executable) : r[field] ?? []
    );
  }
  return grants;
}

/**
 * Derives the narrowest permissions for an agent: its own folders for reading and writing, the
 * files it reads to reach the broker, the paths the ACL lets methods read (and write: read and
 * write), the broker and its own listeners (plus the hosts methods may fetch from) on the
 * network, and only the executables the ACL permits (named as the ACL names them, plus where
 * `PATH` resolves a bare name). Which rule field grants what follows the access each method
 * declares in the method table.
 *
 * @example
 * ```ts
 * import { sandboxFor } from "./sandbox.ts";
 * import { defaultConfig } from "../config.ts";
 * const acl = { version: 1, rules: [{ from: ["central"], methods: ["*"], commands: [{ executable: "/bin/echo" }] }] };
 * sandboxFor({ config: defaultConfig({ nodeName: "ship1" }), configFolder: "/etc/steward", acl, cwd: "/srv" }).run;
 * // ["/bin/echo"]
 * ```
 */
export function sandboxFor(input: SandboxInput): Sandbox {
  const { config, acl } = input;
  const abs = (p: string) => isAbsolute(p) ? p : resolve(input.cwd, p);
  const own = [
    input.configFolder,
    config.databaseFolder,
    config.subscribersDataFolder,
    config.socketFolder,
  ].map(abs);
  const secrets = [
    config.nkeySeedFile,
    config.rootCAPath,
    config.certFile,
    config.keyFile,
    config.approvedKeysFolder,
  ]
    .filter((p) => p !== "").map(abs);
  const granted = aclGrants(acl);
  const tailPaths = [...granted.read, ...granted.write];
  const hosts = granted.url;
  const executables = granted.command;
  const playbooks = config.playbooksFolder ? [abs(config.playbooksFolder)] : [];

  const read: Grant = tailPaths.includes("/") ? true : [
    ...own,
    ...secrets,
    ...tailPaths,
    ...playbooks,
    ...(playbooks.length > 0 && input.root ? [input.root] : []),
    // prom-client's process metrics read the agent's own /proc entries (and -runAsUser its
    // capabilities there).
    "/proc/self",
    // Commands start in a worker, whose modules are read as it loads them.
    ...SPAWN_WORKER_MODULES.filter((u) => u.protocol === "file:").map((u) => fileURLToPath(u)),
    // -runAsUser looks its user up (name, home).
    ...(config.runAsUser !== "" ? ["/etc/passwd"] : []),
  ];
  const net: Grant = hosts.includes("*") ? true : [
    ...brokerHosts(config.brokerAddress),
    // Deno counts the input socket as network access.
    `unix:${join(abs(config.socketFolder), "steward.sock")}`,
    ...[config.tcpListener, config.httpListener, config.promHostAndPort, config.exposeDataFolder]
      .filter((a) => a !== "").map(listenAddress),
    ...(config.webListener ? [config.webListener.replace(/^:/, "127.0.0.1:")] : []),
    ...hosts,
  ];
  let run: Grant;
  if (executables.includes("*")) run = true;
  else {
    const path = input.path ?? Deno.env.get("PATH") ?? "";
    run = executables.flatMap((e) => e.includes("/") ? [e] : [e, ...which(e, path)]);
    if (playbooks.length > 0) run.push(Deno.execPath());
  }
  const unique = (g: Grant): Grant => g === true ? true : [...new Set(g)];
  const write: Grant = granted.write.includes("/") ? true : [...own, ...granted.write];
  return { read: unique(read), write: unique(write), net: unique(net), run: unique(run) };
}

/**
 * Renders a sandbox as `deno run` flags. An empty grant gives no flag at all: Deno then refuses
 * every use of that permission.
 *
 * @example
 * ```ts
 * import { sandboxFlags } from "./sandbox.ts";
 * sandboxFlags({ read: ["/a", "/b"], write: [], net: true, run: ["echo"] });
 * // ["--allow-read=/a,/b", "--allow-net", "--allow-run=echo"]
 * ```
 */
export function sandboxFlags(sandbox: Sandbox): string[] {
  const flags: string[] = [];
  for (const name of ["read", "write", "net", "run"] as const) {
    const g = sandbox[name];
    if (g === true) flags.push(`--allow-${name}`);
    else if (g.length > 0) flags.push(`--allow-${name}=${g.join(",")}`);
  }
  return flags;
}
