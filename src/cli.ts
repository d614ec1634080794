/**
 * Entry of the agent binary: flags and config file → a running Node.
 *
 * @module
 */
import { ConfigError, helpText, loadConfig, parseFlags } from "./config.ts";
import { type LogFormat, Logger, type LogLevel } from "./log/logger.ts";
import { Node } from "./node/node.ts";
import {
  fingerprintMain,
  KEY_COMMANDS_HELP,
  keyCommandMain,
  takeKeyCommand,
} from "./security/key_command.ts";

async function main(args: string[]): Promise<number> {
  let config;
  // `steward -approveKey=<node>:<fingerprint>` (-revokeKey, -rotateKey) asks the running agent
  // to act, then exits.
  const keyCommand = takeKeyCommand(args);
  if (keyCommand) args = keyCommand.rest;
  try {
    const parsed = parseFlags(args);
    if (parsed.help) {
      console.log(helpText());
      console.log(
        "\nOperator commands (sent to the running agent through its socket, then exit):\n" +
          KEY_COMMANDS_HELP,
      );
      return 0;
    }
    if (keyCommand?.name === "keyFingerprint") {
      // Reads only the public key file: no config needed, and none is written.
      return await fingerprintMain(Deno.env.get("CONFIG_FOLDER") || "./etc", keyCommand.node);
    }
    config = await loadConfig(Deno.env.get("CONFIG_FOLDER") || "./etc", parsed.values);
    if (keyCommand) {
      return await keyCommandMain(
        keyCommand,
        config,
        Deno.env.get("CONFIG_FOLDER") || "./etc",
      );
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`steward: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const logger = new Logger({
    node: config.nodeName,
    level: config.logLevel as LogLevel,
    format: config.logFormat as LogFormat,
  });
  const name = `steward ${config.nodeName}`;
  let node: Node;
  try {
    node = await Node.start(config, {
      configFolder: Deno.env.get("CONFIG_FOLDER") || "./etc",
      logger,
    });
  } catch (err) {
    logger.error("start", `steward: ${(err as Error).message}`);
    return 1;
  }
  const stop = async (signal: string) => {
    logger.info("stopping", `${name}: stopping (${signal})`, { signal });
    // Do not hang on a broker that cannot be reached: KV and files are safe either way.
    const timer = setTimeout(() => {
      logger.warn("stopped", `${name}: stopped after 5 s without finishing (${signal})`);
      logger.flush();
      Deno.exit(0);
    }, 5000);
    await node.stop();
    clearTimeout(timer);
    logger.info("stopped", `${name}: stopped`);
    logger.flush();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  logger.info("accepting", `${name}: accepting messages on ${config.socketFolder}/steward.sock`);
  node.ready.then(
    () => logger.info("ready", `${name}: ready`),
    (err) => logger.error("ready", `${name}: broker unusable: ${err.message}`),
  );
  await new Promise(() => {});
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
