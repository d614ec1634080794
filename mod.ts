/**
 * Steward playbooks: typed builders for the seed's messages, and a client that sends them to
 * the local agent and awaits or streams their results. Importable from a URL with no
 * configuration: everything here uses relative imports and versioned `npm:` specifiers.
 *
 * ```ts ignore
 * import { connect, to, toFile, toNodes } from "./mod.ts";
 *
 * const steward = await connect({ socket: "./tmp/steward.sock" });
 * await steward.send(to("ship1").cli("tree").reply(toFile("out")));
 * for (const r of await steward.run(toNodes(["ship1", "ship2"]).cli("uptime"))) {
 *   console.log(r.node, r.ok ? r.output : r.error);
 * }
 * steward.close();
 * ```
 *
 * @module
 */
export {
  type StopProcessOptions,
  type SubscriberMethod,
  Target,
  to,
  toNodes,
} from "./src/dsl/target.ts";
export { type CopyOptions, CopySource } from "./src/dsl/copy.ts";
export {
  type Operation,
  Request,
  type SeedMessage,
  type TimeoutOptions,
} from "./src/dsl/request.ts";
export {
  chainCli,
  type ChainCliOptions,
  type ReplyTarget,
  toConsole,
  toFile,
  toFileAppend,
} from "./src/dsl/reply_target.ts";
export {
  type CallOptions,
  Client,
  connect,
  type RunResult,
  type Sendable,
  type StreamLine,
  type Timings,
} from "./src/dsl/client.ts";
export { type Endpoint, endpointFrom, type ListenerCredential } from "./src/dsl/transport.ts";
export {
  InvalidMessageError,
  RejectedError,
  RolloutStoppedError,
  StreamError,
} from "./src/dsl/errors.ts";
export { type RolloutOptions } from "./src/dsl/rollout.ts";
export { type ProgressWriter } from "./src/dsl/fan_out_progress.ts";
export {
  type CronRegister,
  type MainOptions,
  Playbook,
  playbook,
  type PlaybookDefinition,
  type ScheduleOptions,
} from "./src/dsl/playbook.ts";
export { checkCron } from "./src/dsl/cron.ts";
