/**
 * The method table: every request method a node knows, with what it touches, how it is
 * delivered and who may call it. It is the single source: the `--startSubREQ…` flags
 * (`config.ts`), the ACL's checks (`acl.ts`), the sandbox's grants (`sandbox.ts`), the
 * documentation's method table and the DSL's method types (`dsl/target.ts`) are derived from
 * it, and `registry.ts` joins each row to its handler (the type checker wants one per row).
 * Adding a method: its module (the handler), a row here, a line in `registry.ts`, and a
 * builder in `dsl/target.ts` when operators send it.
 *
 * This module imports only types, so that the configuration can be derived from it.
 *
 * @module
 */
import type { AccessKind, MethodSpec } from "./spec.ts";

/** What the command methods need: the program to run, then its arguments. */
const COMMAND_ARGS = { required: ["the command to run"] } as const;

/** Every request method, by name, in the order their subscribers start. */
export const METHOD_TABLE = {
  REQCliCommand: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQCliCommand",
    access: { kind: "command" },
    pooled: true,
    spooled: true,
    replyTarget: true,
    defaultReplyMethod: "REQToFileAppend",
    methodArgs: COMMAND_ARGS,
    dsl: "cli",
    description:
      "runs `methodArgs` (own process group, killed at `methodTimeout`), replies with stdout",
  },
  REQToFile: {
    event: "EventACK",
    delivery: "store",
    flag: "startSubREQToFile",
    openByDefault: true,
    replyTarget: true,
    dsl: "toFile",
    description: "reply target: writes the reply to `directory/<node>/fileName`, replacing it",
  },
  REQToFileAppend: {
    event: "EventACK",
    delivery: "store",
    flag: "startSubREQToFileAppend",
    openByDefault: true,
    replyTarget: true,
    dsl: "toFileAppend",
    description: "reply target: appends the reply to `directory/<node>/fileName`",
  },
  REQToConsole: {
    event: "EventACK",
    delivery: "store",
    flag: "startSubREQToConsole",
    openByDefault: true,
    replyTarget: true,
    dsl: "toConsole",
    description:
      "reply target: prints `[node] method: line` on stdout, control characters escaped (`\\x1b`)",
  },
  REQHello: {
    event: "EventNACK",
    delivery: "command",
    flag: "startSubREQHello",
    openByDefault: true,
    description: "nodes say hello every `-startPubREQHello` s; central logs each in " +
      "`hello-messages/<node>/hello.log`",
  },
  REQErrorLog: {
    event: "EventACK",
    delivery: "store",
    flag: "startSubREQErrorLog",
    openByDefault: true,
    description: "errors from every node (refusals, failed runs, undelivered messages) in " +
      "`errorLog/<node>/error.log`",
  },
  REQPing: {
    event: "EventACK",
    delivery: "instant",
    flag: "startSubREQPing",
    openByDefault: true,
    defaultReplyMethod: "REQPong",
    dsl: "ping",
    description: "answered with a pong (by default `REQPong`)",
  },
  REQPong: {
    event: "EventACK",
    delivery: "store",
    flag: "startSubREQPong",
    openByDefault: true,
    replyTarget: true,
    description:
      "appends a ping's answer to `ping/<node>/pong.log` (or `directory/<node>/fileName`)",
  },
  REQCliCommandCont: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQCliCommandCont",
    access: { kind: "command" },
    pooled: true,
    spooled: true,
    defaultReplyMethod: "REQToFileAppend",
    methodArgs: COMMAND_ARGS,
    dsl: "cliCont",
    description:
      "runs `methodArgs`, replies with its output line by line while it runs, until `methodTimeout`",
  },
  REQTailFile: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQTailFile",
    access: { kind: "read", arg: 0, verb: "tail" },
    pooled: true,
    defaultReplyMethod: "REQToFileAppend",
    methodArgs: { required: ["the file to tail"], paths: [0] },
    dsl: "tail",
    description: "follows the regular file `methodArgs[0]` for `methodTimeout` s (survives " +
      "rotation, truncation)",
  },
  REQHttpGet: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQHttpGet",
    access: { kind: "url", arg: 0, verb: "fetch" },
    pooled: true,
    defaultReplyMethod: "REQToFileAppend",
    methodArgs: { required: ["the URL to fetch"] },
    dsl: "httpGet",
    description:
      "fetches `methodArgs[0]`; non-2xx, network errors and `methodTimeout` are error replies",
  },
  REQCopySrc: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQCopySrc",
    access: { kind: "read", arg: 0, verb: "copy" },
    pooled: true,
    resumable: true,
    defaultReplyMethod: "REQToFileAppend",
    methodArgs: {
      required: ["the file to copy", "the destination node", "the destination path"],
      paths: [0],
    },
    dsl: "copy",
    description: "sends the file `methodArgs[0]` to node `[1]` as `[2]` in sealed chunks, " +
      "resumable; replies when it is in place with its SHA-256 (`doc/copy.md`)",
  },
  REQCopyDst: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQCopyDst",
    access: { kind: "write", arg: 0 },
    defaultReplyMethod: "REQToFileAppend",
    methodArgs: {
      required: ["the file to write", "the copy id", "the size", "the chunk size", "the mode"],
      paths: [0],
    },
    description: "a copy's announcement from its source: prepares a temporary file beside " +
      "`methodArgs[0]`, renamed into place once the whole file's SHA-256 matches",
  },
  REQOpProcessList: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQOpCommand",
    defaultReplyMethod: "REQToFileAppend",
    dsl: "processes",
    description:
      "lists publishers, subscribers, listeners and running methods (one JSON object per line)",
  },
  REQOpProcessStart: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQOpCommand",
    defaultReplyMethod: "REQToFileAppend",
    methodArgs: { required: ["the method whose subscriber to start"] },
    dsl: "startProcess",
    description: "starts a subscriber (`[method, allowedNodes…]`)",
  },
  REQOpProcessStop: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQOpCommand",
    defaultReplyMethod: "REQToFileAppend",
    dsl: "stopProcess",
    description: "stops a process (`[method, node, kind, id]`)",
  },
  REQOpCommand: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQOpCommand",
    defaultReplyMethod: "REQToFileAppend",
    dsl: "opCommand",
    description: "process control through `operation.opCmd`: `ps`, `startProc`, `stopProc` " +
      "(with `opArg`)",
  },
  REQTrustedKeys: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQSecurity",
    onlyFrom: "central",
    latestOnly: true,
    defaultReplyMethod: "REQToFileAppend",
    description: "replaces the node's trusted keys with central's signed set (data: JSON)",
  },
  REQAclUpdate: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQSecurity",
    onlyFrom: "central",
    defaultReplyMethod: "REQToFileAppend",
    description: "replaces the node's ACL (data: JSON with version and rules) and narrows its " +
      "sandbox",
  },
  REQKeyApprove: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQSecurity",
    onlyFrom: "central",
    defaultReplyMethod: "REQToFileAppend",
    methodArgs: { required: ["the node whose key to approve"] },
    description: "central: approves a node's key (`[node, fingerprint or public key]`) and " +
      "distributes the set",
  },
  REQKeyRevoke: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQSecurity",
    onlyFrom: "central",
    defaultReplyMethod: "REQToFileAppend",
    methodArgs: { required: ["the node whose key to revoke"] },
    description: "central: revokes a node's key (`[node]`) and distributes the set",
  },
  REQKeyList: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQSecurity",
    onlyFrom: "central",
    defaultReplyMethod: "REQToFileAppend",
    description: "central: lists node keys (pending, approved, revoked), fingerprints and the " +
      "trusted set version",
  },
  REQKeyRotate: {
    event: "CommandACK",
    delivery: "command",
    flag: "startSubREQSecurity",
    onlyFrom: "self",
    defaultReplyMethod: "REQToFileAppend",
    description: "a node, from itself: rotates its signing key through central (`steward " +
      "-rotateKey`)",
  },
} as const satisfies Record<string, MethodSpec>;

/** The name of a method in the table. */
export type MethodName = keyof typeof METHOD_TABLE;

/** The `--startSubREQ…` flag of a method. */
export type SubscriberFlag = (typeof METHOD_TABLE)[MethodName]["flag"];

/**
 * Methods whose subscriber an operator's process controls start or stop by name: every method
 * but those only central or the node itself may call.
 */
export type SubscriberMethod = {
  [N in MethodName]: (typeof METHOD_TABLE)[N] extends { onlyFrom: string } ? never : N;
}[MethodName];

const ROWS: readonly (readonly [MethodName, MethodSpec])[] = Object.entries(METHOD_TABLE) as [
  MethodName,
  MethodSpec,
][];

/**
 * The row of `name`, or undefined for a name not in the table.
 *
 * @example
 * ```ts
 * import { methodSpec } from "./table.ts";
 * methodSpec("REQPing")?.delivery; // "instant"
 * ```
 */
export function methodSpec(name: string): MethodSpec | undefined {
  return Object.hasOwn(METHOD_TABLE, name) ? METHOD_TABLE[name as MethodName] : undefined;
}

/**
 * The names of the methods whose row passes `test`, in table order.
 *
 * @example
 * ```ts
 * import { methodsWhere } from "./table.ts";
 * methodsWhere((m) => m.onlyFrom === "self"); // ["REQKeyRotate"]
 * ```
 */
export function methodsWhere(test: (spec: MethodSpec, name: MethodName) => boolean): MethodName[] {
  return ROWS.filter(([name, spec]) => test(spec, name)).map(([name]) => name);
}

/**
 * The names of the methods that touch `kind` (commands, files read or written, URLs).
 *
 * @example
 * ```ts
 * import { methodsAccessing } from "./table.ts";
 * methodsAccessing("url"); // ["REQHttpGet"]
 * ```
 */
export function methodsAccessing(kind: AccessKind): MethodName[] {
  return methodsWhere((m) => m.access?.kind === kind);
}

/**
 * Every `--startSubREQ…` flag with its help text (the methods it starts), in table order.
 *
 * @example
 * ```ts
 * import { subscriberFlags } from "./table.ts";
 * subscriberFlags().startSubREQPing; // "subscribe to REQPing"
 * ```
 */
export function subscriberFlags(): Record<SubscriberFlag, string> {
  const methods = new Map<string, string[]>();
  for (const [name, spec] of ROWS) methods.set(spec.flag, [...methods.get(spec.flag) ?? [], name]);
  return Object.fromEntries(
    [...methods].map(([flag, names]) => [flag, `subscribe to ${names.join(", ")}`]),
  ) as Record<SubscriberFlag, string>;
}

const ACCESS_VERBS = { read: "reads", write: "writes", url: "fetches" } as const;

/**
 * The documentation's method table (Markdown), as README.md holds it between its
 * `<!-- method table -->` markers (a unit test keeps them equal, cell by cell).
 *
 * @example
 * ```ts
 * import { methodTableMarkdown } from "./table.ts";
 * methodTableMarkdown().split("\n")[0]; // "| method | delivery | touches | what it does |"
 * ```
 */
export function methodTableMarkdown(): string {
  const touches = (m: MethodSpec): string => {
    const what = !m.access
      ? ""
      : m.access.kind === "command"
      ? "runs `methodArgs`"
      : `${ACCESS_VERBS[m.access.kind]} \`methodArgs[${m.access.arg}]\``;
    const who = m.onlyFrom ? `only from ${m.onlyFrom}` : "";
    return [what, who].filter((s) => s !== "").join("; ");
  };
  return [
    "| method | delivery | touches | what it does |",
    "| --- | --- | --- | --- |",
    ...ROWS.map(([name, m]) =>
      `| \`${name}\` | ${m.delivery} | ${touches(m)} | ${m.description.replaceAll("|", "\\|")} |`
    ),
  ].join("\n");
}
