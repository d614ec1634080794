/**
 * Access control lists: which sender nodes may call which methods on this node, and for the
 * methods that touch something (their `access` in the method table) which executables and
 * arguments, which files and which hosts.
 *
 * @module
 */
import { resolve } from "node:path";
import { z } from "npm:zod@4.6.7";
import { methodsAccessing, methodSpec, methodsWhere } from "../methods/table.ts";
import type { AccessKind } from "../methods/spec.ts";

/** One allowed command: `executable` as spawned (or `*`), and optional per-argument patterns. */
export const commandRuleSchema = z.object({
  /** The program exactly as `methodArgs[0]` names it (`bash`, `/usr/bin/uptime`), or `*`. */
  executable: z.string().min(1),
  /**
   * Regular expressions, one per argument, each matched against the whole argument. When given,
   * the command must have exactly that many arguments; when absent, any arguments are allowed.
   */
  args: z.array(z.string()).optional(),
}).strict();

/** One rule: senders × methods, with what the methods that touch something may touch. */
export const aclRuleSchema = z.object({
  /** Sender node names, or `*` for any node whose signature checks out. */
  from: z.array(z.string().min(1)).min(1),
  /** Method names, or `*` for every method. */
  methods: z.array(z.string().min(1)).min(1),
  /** For methods that run commands (`REQCliCommand`…): allowed commands; none when absent. */
  commands: z.array(commandRuleSchema).optional(),
  /** For methods that read a file (`REQTailFile`…): absolute files or folders; none when absent. */
  paths: z.array(z.string().startsWith("/", "must be an absolute path")).optional(),
  /** For methods that write a file: absolute files or folders; none when absent. */
  writePaths: z.array(z.string().startsWith("/", "must be an absolute path")).optional(),
  /** For methods that fetch a URL (`REQHttpGet`): hosts (`example.com:8080`) or `*`. */
  hosts: z.array(z.string().min(1)).optional(),
}).strict();

/** A versioned ACL; a node only replaces its ACL with a higher version. */
export const aclSchema = z.object({
  version: z.number().int().min(0),
  rules: z.array(aclRuleSchema),
}).strict();

/** A command rule. */
export type CommandRule = z.infer<typeof commandRuleSchema>;
/** An ACL rule. */
export type AclRule = z.infer<typeof aclRuleSchema>;
/** A versioned ACL. */
export type Acl = z.infer<typeof aclSchema>;

/** Methods that run a program named by `methodArgs` (access `command` in the method table). */
export const COMMAND_METHODS: ReadonlySet<string> = new Set(methodsAccessing("command"));

/** Methods any node may call by default: the replies, logs and liveness every fleet needs. */
export const HARMLESS_METHODS: readonly string[] = methodsWhere((m) => m.openByDefault === true);

/** The rule field that lists what each kind of access may touch. */
export const ACCESS_RULE_FIELDS = {
  command: "commands",
  read: "paths",
  write: "writePaths",
  url: "hosts",
} as const satisfies Record<AccessKind, keyof AclRule>;

/**
 * The ACL a node has before central sends one (version 0): only central may call anything
 * (commands, files read or written, HTTP gets, op commands); every node may call the harmless
 * methods.
 *
 * @example
 * ```ts
 * import { defaultAcl } from "./acl.ts";
 * defaultAcl("central").rules[0].from; // ["central"]
 * ```
 */
export function defaultAcl(centralNodeName: string): Acl {
  return {
    version: 0,
    rules: [
      {
        from: [centralNodeName],
        methods: ["*"],
        commands: [{ executable: "*" }],
        paths: ["/"],
        writePaths: ["/"],
        hosts: ["*"],
      },
      { from: ["*"], methods: [...HARMLESS_METHODS] },
    ],
  };
}

/** What {@linkcode checkAcl} needs of a message. */
export interface AclRequest {
  fromNode: string;
  method: string;
  /** The command as it would be spawned (after `{{STEWARD_DATA}}` substitution). */
  argv?: readonly string[];
  /** The file or URL a method reading, writing or fetching names (its access `arg`). */
  target?: string;
}

function matches(list: readonly string[], value: string): boolean {
  return list.includes("*") || list.includes(value);
}

function commandAllowed(rule: CommandRule, argv: readonly string[]): boolean {
  if (rule.executable !== "*" && rule.executable !== argv[0]) return false;
  if (!rule.args) return true;
  const args = argv.slice(1);
  if (args.length !== rule.args.length) return false;
  return rule.args.every((p, i) => {
    try {
      return new RegExp(`^(?:${p})$`).test(args[i]);
    } catch {
      return false; // A bad pattern allows nothing.
    }
  });
}

/**
 * True when the absolute `path` is `allowed` or inside it, after resolving `.` and `..`.
 *
 * @example
 * ```ts
 * import { pathAllowed } from "./acl.ts";
 * pathAllowed("/var/log", "/var/log/../../etc/passwd"); // false
 * ```
 */
export function pathAllowed(allowed: string, path: string): boolean {
  const a = resolve(allowed);
  const p = resolve(path);
  return a === "/" || p === a || p.startsWith(a + "/");
}

function hostAllowed(hosts: readonly string[], url: string): boolean {
  if (hosts.includes("*")) return true;
  try {
    const u = new URL(url);
    return hosts.includes(u.host) || hosts.includes(u.hostname);
  } catch {
    return false;
  }
}

/**
 * Checks `request` against `acl`; returns why it is refused, or `undefined` when a rule allows
 * it. The reason names the ACL version, the node and what was refused.
 *
 * @example
 * ```ts
 * import { checkAcl, defaultAcl } from "./acl.ts";
 * checkAcl(defaultAcl("central"), "ship1", { fromNode: "ship2", method: "REQCliCommand", argv: ["ls"] });
 * // "refused by the ACL (version 0) of ship1: node ship2 may not call REQCliCommand"
 * ```
 */
export function checkAcl(acl: Acl, self: string, request: AclRequest): string | undefined {
  const prefix = `refused by the ACL (version ${acl.version}) of ${self}: `;
  const rules = acl.rules.filter((r) =>
    matches(r.from, request.fromNode) && matches(r.methods, request.method)
  );
  if (rules.length === 0) {
    return `${prefix}node ${request.fromNode} may not call ${request.method}`;
  }
  const access = methodSpec(request.method)?.access;
  if (!access) return undefined;
  if (access.kind === "command") {
    const argv = request.argv ?? [];
    if (rules.some((r) => r.commands?.some((c) => commandAllowed(c, argv)))) return undefined;
    return `${prefix}node ${request.fromNode} may not run ${JSON.stringify(argv)} with ` +
      request.method;
  }
  const target = request.target ?? "";
  if (access.kind === "url") {
    if (rules.some((r) => r.hosts && hostAllowed(r.hosts, target))) return undefined;
    return `${prefix}node ${request.fromNode} may not ${access.verb ?? "fetch"} ` +
      JSON.stringify(target);
  }
  if (!target.startsWith("/")) {
    return `${prefix}${request.method} needs an absolute path, got ${JSON.stringify(target)}`;
  }
  const field = ACCESS_RULE_FIELDS[access.kind];
  if (rules.some((r) => r[field]?.some((a) => pathAllowed(a, target)))) return undefined;
  return `${prefix}node ${request.fromNode} may not ${access.verb ?? access.kind} ` +
    JSON.stringify(target);
}
