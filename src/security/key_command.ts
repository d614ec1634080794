/**
 * The one-shot operator commands of the agent binary about keys: approve or revoke a node's key
 * (sent to the running central), rotate this node's key (sent to the running node), and print
 * this node's key fingerprint.
 *
 * @module
 */
import { join } from "node:path";
import { Client, type RunResult } from "../dsl/client.ts";
import { keyFingerprint } from "./fingerprint.ts";
import { PUBLIC_KEY_FILE } from "./node_keys.ts";

/** The key commands, by flag name. */
export type KeyCommandName = "approveKey" | "revokeKey" | "rotateKey" | "keyFingerprint";

/** A key command taken from the command line. */
export interface KeyCommand {
  name: KeyCommandName;
  /** `-approveKey`/`-revokeKey`: the node; `-keyFingerprint`: a .pub file, or "". */
  node: string;
  /** `-approveKey=<node>:<fingerprint>`: the fingerprint (or whole public key) named. */
  key?: string;
  /** The other arguments. */
  rest: string[];
}

/** `--help` text of the key commands. */
export const KEY_COMMANDS_HELP = [
  "  -approveKey node:fingerprint\n\tapprove the key node announced in its hello, named by the " +
  "fingerprint central logged\n\t(SHA256:…; compare it with `steward -keyFingerprint` on the " +
  "node); without one, lists the pending keys",
  "  -revokeKey node\n\trevoke node's key",
  "  -rotateKey\n\ton a node: replace its key through central (its hellos, signed by the " +
  "current key, announce the new one)",
  "  -keyFingerprint[=file]\n\tprint the fingerprint of CONFIG_FOLDER/steward_ed25519.pub (or of " +
  "file); needs no running agent",
].join("\n");

/**
 * Splits a key command out of `args`, if one is there.
 *
 * @example
 * ```ts
 * import { takeKeyCommand } from "./key_command.ts";
 * takeKeyCommand(["-approveKey=ship1:SHA256:abc", "-x=1"]);
 * // { name: "approveKey", node: "ship1", key: "SHA256:abc", rest: ["-x=1"] }
 * ```
 */
export function takeKeyCommand(args: readonly string[]): KeyCommand | undefined {
  for (let i = 0; i < args.length; i++) {
    const m = /^--?(approveKey|revokeKey|rotateKey|keyFingerprint)(?:=(.*))?$/.exec(args[i]);
    if (!m) continue;
    const name = m[1] as KeyCommandName;
    // Only the two that name a node take the next argument as their value.
    const takesNext = m[2] === undefined && (name === "approveKey" || name === "revokeKey");
    const value = m[2] ?? (takesNext ? args[i + 1] ?? "" : "");
    const rest = args.filter((_, j) => j !== i && (!takesNext || j !== i + 1));
    if (name !== "approveKey") return { name, node: value, rest };
    const at = value.indexOf(":");
    if (at < 0) return { name, node: value, rest };
    return { name, node: value.slice(0, at), key: value.slice(at + 1), rest };
  }
  return undefined;
}

/**
 * The fingerprint of the public key file `file` (a node's `steward_ed25519.pub`).
 *
 * @example
 * ```ts ignore
 * import { fingerprintOfFile } from "./key_command.ts";
 * console.log(await fingerprintOfFile("./etc")); // SHA256:…
 * ```
 */
export async function fingerprintOfFile(configFolder: string, file = ""): Promise<string> {
  const path = file || join(configFolder, PUBLIC_KEY_FILE);
  return await keyFingerprint((await Deno.readTextFile(path)).trim());
}

/** Seconds a key command waits for each ACK of the node that carries it out, and resends. */
const KEY_COMMAND_ACK_TIMEOUT = 5;
const KEY_COMMAND_RETRIES = 2;

/**
 * Sends a key command's message into the running agent's unix socket and waits for its result
 * (the method's reply, or why it failed).
 *
 * @example
 * ```ts ignore
 * import { runKeyCommand } from "./key_command.ts";
 * const r = await runKeyCommand("./tmp", "central", "REQKeyApprove", ["ship1", "SHA256:…"]);
 * console.log(r.ok ? r.output : r.error);
 * ```
 */
export async function runKeyCommand(
  socketFolder: string,
  toNode: string,
  method: string,
  methodArgs: string[],
): Promise<RunResult> {
  const client = new Client({ socket: join(socketFolder, "steward.sock") });
  try {
    const [result] = await client.run(
      {
        toNode,
        method,
        methodArgs,
        directory: "keys",
        fileName: "keys.log",
        // Given up (an error reply) when central cannot be reached in time, rather than left
        // queued to be carried out later, after the operator was told it failed.
        ACKTimeout: KEY_COMMAND_ACK_TIMEOUT,
        retries: KEY_COMMAND_RETRIES,
        methodTimeout: 10,
      },
      // A backstop: the ACK timeouts above end it first.
      { timeoutMs: 60_000 },
    );
    return result;
  } finally {
    client.close();
  }
}

/**
 * `steward -keyFingerprint[=file]`: prints the fingerprint of the node's public key (or of
 * `file`); returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { fingerprintMain } from "./key_command.ts";
 * Deno.exit(await fingerprintMain("./etc"));
 * ```
 */
export async function fingerprintMain(configFolder: string, file = ""): Promise<number> {
  try {
    console.log(await fingerprintOfFile(configFolder, file));
    return 0;
  } catch (err) {
    console.error(`steward: cannot read the public key: ${(err as Error).message}`);
    return 1;
  }
}

const METHOD_OF = {
  approveKey: "REQKeyApprove",
  revokeKey: "REQKeyRevoke",
  rotateKey: "REQKeyRotate",
} as const;

/**
 * Carries out a key command for the agent configured by `config` (its CONFIG_FOLDER is
 * `configFolder`): prints the outcome, and returns the exit code (0 done, 1 refused or failed,
 * 2 used wrongly).
 *
 * @example
 * ```ts ignore
 * import { keyCommandMain, takeKeyCommand } from "./key_command.ts";
 * Deno.exit(await keyCommandMain(takeKeyCommand(Deno.args)!, config, "./etc"));
 * ```
 */
export async function keyCommandMain(
  command: KeyCommand,
  config: { socketFolder: string; centralNodeName: string; nodeName: string },
  configFolder: string,
): Promise<number> {
  if (command.name === "keyFingerprint") return await fingerprintMain(configFolder, command.node);
  if (command.name !== "rotateKey" && !command.node) {
    console.error(`steward: -${command.name} needs a node name`);
    return 2;
  }
  const toNode = command.name === "rotateKey" ? config.nodeName : config.centralNodeName;
  const args = command.name === "rotateKey"
    ? []
    : [command.node, ...(command.key ? [command.key] : [])];
  let result: RunResult;
  try {
    result = await runKeyCommand(config.socketFolder, toNode, METHOD_OF[command.name], args);
  } catch (err) {
    console.error(`steward: cannot ask ${toNode}: ${(err as Error).message}`);
    return 1;
  }
  if (!result.ok) {
    const seconds = KEY_COMMAND_ACK_TIMEOUT * (KEY_COMMAND_RETRIES + 1);
    // Said in the operator's words: which node did not answer, and what to check.
    const unreached = /max retries reached/.test(result.error ?? "")
      ? `${toNode} did not answer within ${seconds} s (is it running, and is the broker ` +
        `reachable?): `
      : "";
    console.error(`steward: ${unreached}${result.error}`);
    return 1;
  }
  console.log(result.output.trim());
  return 0;
}
