/**
 * Agent configuration with the seed's semantics: defaults, overridden by the config file in
 * `CONFIG_FOLDER`, overridden by flags; flags given are written back to the file.
 *
 * @module
 */
import { join } from "node:path";
import { LOG_FORMATS, LOG_LEVELS } from "./log/logger.ts";
import { FieldSpelling } from "./message/field_names.ts";
import { nodeNameProblem } from "./message/schema.ts";
import { type SubscriberFlag, subscriberFlags } from "./methods/table.ts";
import { modesFromFileMode, PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE } from "./store/file_modes.ts";

type Kind = "string" | "int" | "bool";
interface FlagSpec<T> {
  kind: Kind;
  default: T;
  help: string;
}
const str = (d: string, help: string): FlagSpec<string> => ({ kind: "string", default: d, help });
const int = (d: number, help: string): FlagSpec<number> => ({ kind: "int", default: d, help });
const bool = (d: boolean, help: string): FlagSpec<boolean> => ({ kind: "bool", default: d, help });

/** The `--startSubREQ…` flags, derived from the method table: each on by default. */
function subscriberFlagSpecs(): Record<SubscriberFlag, FlagSpec<boolean>> {
  const help = subscriberFlags();
  const specs = {} as Record<SubscriberFlag, FlagSpec<boolean>>;
  for (const flag of Object.keys(help) as SubscriberFlag[]) specs[flag] = bool(true, help[flag]);
  return specs;
}

/** Every option of the agent, with the seed's names, defaults and help text. */
export const FLAGS = {
  nodeName: str(
    "",
    "unique name of this node; used as a NATS subject token: letters, digits, '_' and '-', not " +
      "starting with '_' or '$' (reserved by NATS) (required)",
  ),
  centralNodeName: str("central", "node that receives error logs and hello messages"),
  brokerAddress: str("127.0.0.1:4222", "NATS broker address; several separated by ','"),
  socketFolder: str("./tmp", "folder of the unix socket steward.sock"),
  tcpListener: str(
    "",
    "host:port of a TCP listener for messages; clients need the token in " +
      "$CONFIG_FOLDER/listener_token (off when empty)",
  ),
  httpListener: str(
    "",
    "host:port of an HTTP listener for messages; clients need the token in " +
      "$CONFIG_FOLDER/listener_token (off when empty)",
  ),
  webListener: str(
    "",
    "host:port of the operator's web page (central only; ':port' binds 127.0.0.1); it takes " +
      "the token in $CONFIG_FOLDER/listener_token (off when empty)",
  ),
  databaseFolder: str("./var/lib", "folder of the Deno KV database and the audit log"),
  subscribersDataFolder: str("./data", "folder where reply files are written"),
  dataFileMode: str(
    "0600",
    "octal mode of reply files in -subscribersDataFolder (their folders get x where it has r): " +
      "e.g. 0640 lets the folder's group read replies; every other file is 0600",
  ),
  natsConnectRetryInterval: int(5, "seconds between attempts to reach the broker"),
  logLevel: str("info", "least severe log lines written: debug, info, warn or error"),
  logFormat: str(
    "text",
    "log lines on stderr as text, or json (one object per line: time, level, node, event, msg, " +
      "fields; for journald and Loki)",
  ),
  profilingPort: str("", "accepted for compatibility; profiling is done with Deno's tools"),
  promHostAndPort: str("", "host:port of the Prometheus /metrics listener (off when empty)"),
  defaultMessageTimeout: int(10, "seconds to wait for an ACK when a message gives none"),
  defaultMessageRetries: int(3, "resends after an ACK timeout when a message gives none"),
  defaultMethodTimeout: int(10, "seconds a method may run when a message gives none"),
  rootCAPath: str("", "PEM file of the root CA that signed the broker's TLS certificate"),
  nkeySeedFile: str("", "file holding this node's NKEY seed for broker authentication"),
  certFile: str("", "PEM client certificate for mutual TLS with the broker (with -rootCAPath)"),
  keyFile: str("", "PEM private key of -certFile"),
  requireSignatures: bool(
    true,
    "refuse messages not signed by a key this node trusts; =false only for a lab fleet " +
      "(see SECURITY.md)",
  ),
  centralPublicKey: str(
    "",
    "central's Ed25519 public key (base64, its steward_ed25519.pub); without it (or " +
      "-trustCentralOnFirstUse) this node trusts no message from central",
  ),
  trustCentralOnFirstUse: bool(
    false,
    "without -centralPublicKey, pin the central key named by the first validly signed trusted " +
      "set (only where nobody else can publish to this node's subjects; see SECURITY.md)",
  ),
  maxPendingKeys: int(
    1000,
    "central: most keys kept pending approval at once; the oldest is dropped for a new one",
  ),
  pendingKeySeconds: int(604_800, "central: seconds a key pending approval is kept"),
  approvedKeysFolder: str(
    "",
    "central: folder of pre-seeded approvals, one <node>.pub per node " +
      "(empty = CONFIG_FOLDER/approved_keys)",
  ),
  replayWindow: int(300, "seconds a signed message is valid after signing (replay protection)"),
  commandEnv: str(
    "",
    "names of the agent's environment variables that commands also get, separated by ','; " +
      "commands get only PATH, HOME, LANG and LC_ALL besides them",
  ),
  runAsUser: str(
    "",
    "run every command as this unprivileged user (name, uid or uid:gid); the agent must be " +
      "root to switch; empty = as the agent's own user (see SECURITY.md)",
  ),
  commandSpool: bool(
    true,
    "REQCliCommand writes output and exit code to <databaseFolder>/spool, so that a command " +
      "running when the agent dies is answered after its restart; false: through pipes only " +
      "(one exec fewer per command, such a command answered interrupted)",
  ),
  exposeDataFolder: str("", "host:port to serve the data folder read-only (off when empty)"),
  playbooksFolder: str(
    "",
    "folder of *.ts playbooks this node runs on their cron schedules (off when empty)",
  ),
  errorMessageTimeout: int(60, "seconds to wait for central's ACK of an error message"),
  errorMessageRetries: int(10, "resends of an error message to central"),
  ringBufferSize: int(10_000, "capacity of the FIFO ring buffer between inputs and publishers"),
  maxConcurrentMethods: int(
    0,
    "most commands (REQCliCommand, REQCliCommandCont, REQTailFile, REQHttpGet) running at once; " +
      "more wait in a FIFO queue (0 = 4 per CPU core, at least 16)",
  ),
  maxMessageSize: int(8 * 1024 * 1024, "largest message or reply payload, in bytes"),
  copyMaxBytesPerSecond: int(
    0,
    "bytes per second a REQCopySrc sends at most (0 = no cap); its methodArgs[4] overrides it",
  ),
  dedupRetentionSeconds: int(
    86_400,
    "seconds a receiver remembers executed message ids, so resends are not run again",
  ),
  auditMaxBytes: int(
    32 * 1024 * 1024,
    "size in bytes at which audit.log is rotated to audit.log.1 (data over 1 KiB is audited " +
      "as its size and SHA-256)",
  ),
  auditMaxFiles: int(4, "rotated audit logs kept (audit.log.1 … .N); the oldest is deleted"),
  startPubREQHello: int(30, "seconds between hello messages to central (0 = never)"),
  ...subscriberFlagSpecs(),
} as const;

/**
 * The config file's keys: the flag names, matched in any letter case.
 *
 * @example
 * ```ts
 * import { CONFIG_FILE_SPELLING } from "./config.ts";
 * CONFIG_FILE_SPELLING.canonical({ NodeName: "ship1" }); // { value: { nodeName: "ship1" } }
 * ```
 */
export const CONFIG_FILE_SPELLING: FieldSpelling = new FieldSpelling({ names: Object.keys(FLAGS) });

/** Name of an agent option. */
export type FlagName = keyof typeof FLAGS;
/** The agent's configuration: one value per option in {@linkcode FLAGS}. */
export type Config = { -readonly [K in FlagName]: (typeof FLAGS)[K]["default"] };

/** A bad flag, flag value or config file; the CLI exits with code 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Returns a configuration holding every default, with `overrides` applied. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  const config = {} as Record<string, unknown>;
  for (const [name, spec] of Object.entries(FLAGS)) config[name] = spec.default;
  return { ...(config as Config), ...overrides };
}

function parseValue(name: string, kind: Kind, raw: string): string | number | boolean {
  if (kind === "int") {
    if (!/^-?\d+$/.test(raw)) {
      throw new ConfigError(`flag -${name}: "${raw}" is not a whole number`);
    }
    const n = Number(raw);
    if (n < 0) throw new ConfigError(`flag -${name}: must not be negative, got ${raw}`);
    return n;
  }
  if (kind === "bool") {
    if (/^(true|1)$/i.test(raw)) return true;
    if (/^(false|0)$/i.test(raw)) return false;
    throw new ConfigError(`flag -${name}: "${raw}" is not true or false`);
  }
  return raw;
}

/** The result of reading the command line. */
export interface ParsedFlags {
  /** Values of the flags that were given. */
  values: Partial<Config>;
  /** True when `--help` or `-h` was given. */
  help: boolean;
}

/**
 * Reads flags in the forms `--flag=value`, `--flag value`, `-flag=value` and `-flag value`;
 * a bool flag given alone means true.
 *
 * @throws {ConfigError} on an unknown flag, a missing value or a bad value.
 * @example
 * ```ts
 * import { parseFlags } from "./config.ts";
 * parseFlags(["-nodeName=ship1", "--startPubREQHello", "60"]).values;
 * // { nodeName: "ship1", startPubREQHello: 60 }
 * ```
 */
export function parseFlags(args: readonly string[]): ParsedFlags {
  const values: Record<string, unknown> = {};
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const match = /^--?([A-Za-z][A-Za-z0-9]*)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new ConfigError(`unexpected argument "${arg}" (flags look like -name=value)`);
    const [, name, inline] = match;
    if (name === "help" || name === "h") {
      help = true;
      continue;
    }
    const spec = (FLAGS as Record<string, FlagSpec<unknown>>)[name];
    if (!spec) throw new ConfigError(`unknown flag -${name} (see --help)`);
    let raw = inline;
    if (raw === undefined) {
      if (spec.kind === "bool") raw = "true";
      else if (i + 1 < args.length) raw = args[++i];
      else throw new ConfigError(`flag -${name} needs a value`);
    }
    values[name] = parseValue(name, spec.kind, raw);
  }
  return { values: values as Partial<Config>, help };
}

/** Checks values that flags and the config file can both get wrong. */
export function validateConfig(config: Config): void {
  if (config.nodeName === "") {
    throw new ConfigError("-nodeName is required (give it as a flag or in the config file)");
  }
  for (const flag of ["nodeName", "centralNodeName"] as const) {
    const problem = nodeNameProblem(config[flag]);
    if (problem) throw new ConfigError(`-${flag} "${config[flag]}": ${problem}`);
  }
  for (const name of ["tcpListener", "httpListener", "promHostAndPort", "exposeDataFolder"]) {
    const v = config[name as FlagName] as string;
    if (v !== "" && !/^[^:\s]*:\d{1,5}$/.test(v)) {
      throw new ConfigError(`-${name} "${v}": expected host:port`);
    }
  }
  if (config.ringBufferSize < 1) throw new ConfigError("-ringBufferSize must be at least 1");
  for (const [flag, allowed] of [["logLevel", LOG_LEVELS], ["logFormat", LOG_FORMATS]] as const) {
    if (!(allowed as readonly string[]).includes(config[flag])) {
      throw new ConfigError(`-${flag} "${config[flag]}": expected one of ${allowed.join(", ")}`);
    }
  }
  if (config.maxConcurrentMethods < 0) {
    throw new ConfigError("-maxConcurrentMethods must be at least 0 (0 = sized to the machine)");
  }
  if (config.auditMaxBytes < 4096) throw new ConfigError("-auditMaxBytes must be at least 4096");
  if (config.auditMaxFiles < 0) throw new ConfigError("-auditMaxFiles must be at least 0");
  try {
    modesFromFileMode(config.dataFileMode);
  } catch (err) {
    throw new ConfigError(`-dataFileMode: ${(err as Error).message}`);
  }
  validateCommandFlags(config);
  // A replay inside the window is caught only as a duplicate id: ids must outlive the window.
  if (
    config.requireSignatures &&
    (config.replayWindow < 1 || 2 * config.replayWindow > config.dedupRetentionSeconds)
  ) {
    throw new ConfigError(
      `-replayWindow ${config.replayWindow}: must be at least 1 and at most half of ` +
        `-dedupRetentionSeconds (${config.dedupRetentionSeconds})`,
    );
  }
}

/** Checks the form of -commandEnv and -runAsUser (whether the user exists is checked at start). */
function validateCommandFlags(config: Config): void {
  for (const name of commandEnvNames(config.commandEnv)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ConfigError(`-commandEnv: "${name}" is not a variable name`);
    }
    // They change how every program loads, and Deno passes them only with unrestricted --allow-run.
    if (/^(LD_|DYLD_)/.test(name)) {
      throw new ConfigError(`-commandEnv: ${name} may not be passed to commands`);
    }
  }
  const user = config.runAsUser;
  if (user !== "" && !/^(\d+(:\d+)?|[A-Za-z_][A-Za-z0-9_.-]*\$?)$/.test(user)) {
    throw new ConfigError(`-runAsUser "${user}": expected a user name, a uid or uid:gid`);
  }
}

/**
 * The variable names `-commandEnv` lists.
 *
 * @example
 * ```ts
 * import { commandEnvNames } from "./config.ts";
 * commandEnvNames("TZ, http_proxy,"); // ["TZ", "http_proxy"]
 * ```
 */
export function commandEnvNames(commandEnv: string): string[] {
  return commandEnv.split(",").map((n) => n.trim()).filter((n) => n !== "");
}

/** Renders `--help`: every flag with its default. */
export function helpText(): string {
  const lines = [
    "Usage: steward [flags]   (config file: $CONFIG_FOLDER/config.json, default ./etc)",
    "",
    "A relative path in a method's file argument (REQTailFile's methodArgs[0], e.g. ./test.log)",
    "is resolved against the folder the agent runs in; the ACL judges the resolved file.",
    "",
  ];
  for (const [name, spec] of Object.entries(FLAGS)) {
    lines.push(`  -${name} ${spec.kind === "bool" ? "" : spec.kind}`.trimEnd());
    lines.push(`\t${spec.help} (default ${JSON.stringify(spec.default)})`);
  }
  return lines.join("\n");
}

/**
 * Loads the configuration: defaults, then `$configFolder/config.json` (created on first
 * start), then `flags`. The merged result is written back, so flags become the new defaults.
 *
 * @throws {ConfigError} when the config file is not valid JSON or holds bad values.
 * @example
 * ```ts ignore
 * import { loadConfig, parseFlags } from "./config.ts";
 * const config = await loadConfig("./etc", parseFlags(Deno.args).values);
 * ```
 */
export async function loadConfig(configFolder: string, flags: Partial<Config>): Promise<Config> {
  const file = join(configFolder, "config.json");
  let fromFile: Record<string, unknown> = {};
  let existed = true;
  try {
    fromFile = JSON.parse(await Deno.readTextFile(file));
    if (fromFile === null || typeof fromFile !== "object" || Array.isArray(fromFile)) {
      throw new ConfigError(`config file ${file}: expected a JSON object`);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) existed = false;
    else if (err instanceof SyntaxError) {
      throw new ConfigError(`config file ${file}: not valid JSON: ${err.message}`);
    } else throw err;
  }
  // Keys in any letter case, as the original's Go decoder reads its config file.
  const canonical = CONFIG_FILE_SPELLING.canonical(fromFile);
  if ("error" in canonical) throw new ConfigError(`config file ${file}: ${canonical.error}`);
  const fileValues: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(canonical.value as Record<string, unknown>)) {
    if (!Object.hasOwn(FLAGS, name)) {
      throw new ConfigError(`config file ${file}: unknown setting "${name}"`);
    }
    const spec = (FLAGS as Record<string, FlagSpec<unknown>>)[name];
    const expected = spec.kind === "int" ? "number" : spec.kind === "bool" ? "boolean" : "string";
    const actual = typeof value;
    if (actual !== expected || (spec.kind === "int" && !Number.isInteger(value))) {
      throw new ConfigError(`config file ${file}: "${name}" must be a ${expected}`);
    }
    fileValues[name] = value;
  }
  const config = defaultConfig({ ...(fileValues as Partial<Config>), ...flags });
  validateConfig(config);
  if (!existed || Object.keys(flags).length > 0) {
    await Deno.mkdir(configFolder, { recursive: true, mode: PRIVATE_FOLDER_MODE });
    await Deno.writeTextFile(file, JSON.stringify(config, null, 2) + "\n", {
      mode: PRIVATE_FILE_MODE,
    });
  }
  return config;
}
