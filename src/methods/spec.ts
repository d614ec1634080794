/**
 * What a row of the method table declares about a method: everything but its handler. The
 * flags, ACL checks, sandbox grants, documentation table and DSL types are derived from these
 * rows (`table.ts`), so this module imports nothing that could import the table back.
 *
 * @module
 */
import type { Event } from "../message/schema.ts";

/**
 * How a message is taken on, run and acknowledged:
 * - `command`: recorded, ACKed, then run (strict at-most-once: a crash after the ACK answers
 *   "interrupted", or collects a spooled command's result after the restart).
 * - `store`: only stores or shows a result on this node (reply files, error log): it runs
 *   before the ACK, so a crash can never lose an ACKed result. A crash after the store but
 *   before its record may store it twice; for the files these methods write that is the lesser
 *   harm.
 * - `instant`: quick and changes nothing (a ping): it runs before the ACK, and its reply and
 *   "done" record are committed together before it. A crash before that commit loses nothing
 *   that was ACKed (the sender resends); after it, the resend is a duplicate. The reply is sent
 *   while the commit is in flight, with an id made from the request's (`replyIdFor`): run again
 *   after a crash, its second reply is a duplicate to the receiver, not a second result.
 */
export type Delivery = "command" | "store" | "instant";

/**
 * What a method touches on its node, judged by the ACL and granted by the sandbox:
 * - `command`: runs the program `methodArgs` names (ACL rule field `commands`, sandbox `run`).
 * - `read`: reads the file `methodArgs[arg]` (ACL `paths`, sandbox `read`).
 * - `write`: writes the file `methodArgs[arg]` (ACL `writePaths`, sandbox `read` and `write`).
 * - `url`: fetches the URL `methodArgs[arg]` (ACL `hosts`, sandbox `net`).
 */
export type Access =
  | { readonly kind: "command" }
  | {
    readonly kind: "read" | "write" | "url";
    /** The position in `methodArgs` of the file or URL. */
    readonly arg: number;
    /** The verb of the ACL's refusal ("may not tail …"); the kind when absent. */
    readonly verb?: string;
  };

/** The kinds of {@linkcode Access}. */
export type AccessKind = Access["kind"];

/** The `methodArgs` a method needs (see `method_args.ts`). */
export interface MethodArgsSpec {
  /** What each leading argument is, in order; a message without all of them is refused. */
  readonly required: readonly string[];
  /**
   * Positions of arguments that name a file on the receiving node: a relative one is resolved
   * against the agent's working folder, then `..` and symbolic links, before the ACL judges it.
   */
  readonly paths?: readonly number[];
}

/** One row of the method table. */
export interface MethodSpec {
  /** Subject suffix: whether the sender waits for an ACK, and command or event. */
  readonly event: Event;
  /** How the message is taken on and acknowledged. */
  readonly delivery: Delivery;
  /**
   * The `--startSubREQ…` flag that starts its subscriber (several methods may share one); the
   * flag is derived from the table, true by default.
   */
  readonly flag: `startSub${string}`;
  /** One line for the documentation's method table (Markdown). */
  readonly description: string;
  /** What it touches, judged by the ACL beyond "may this node call it"; nothing when absent. */
  readonly access?: Access;
  /**
   * Who may call it whatever the ACL says: `central` for methods that change whom a node trusts,
   * `self` for those a node takes only from its own operator (its socket).
   */
  readonly onlyFrom?: "central" | "self";
  /** True when the default ACL (before central sends one) lets any node call it. */
  readonly openByDefault?: boolean;
  /** Reply method used when a message names none; absent for methods that send no reply. */
  readonly defaultReplyMethod?: string;
  /** True when the method can be a message's `replyMethod`. */
  readonly replyTarget?: boolean;
  /**
   * True for methods that do work on the node (spawn a command, fetch a URL, follow a file):
   * they run in the executor's bounded pool (`-maxConcurrentMethods`) and wait in its FIFO
   * queue when it is full. The others are quick and run at once: stores and instant methods,
   * and the process and key controls, so that an operator can list and stop processes while
   * the pool is full.
   */
  readonly pooled?: boolean;
  /**
   * True for methods whose command writes its output and exit status to the node's spool
   * (`command_spool.ts`): one that was started when its node died is collected from there
   * after the restart, not answered "interrupted"; its spool is removed once its last reply
   * is ACKed (or given up).
   */
  readonly spooled?: boolean;
  /**
   * True for pooled methods that go on after a restart of their node instead of being answered
   * "interrupted": the run is started again with `resumed` and finds where it stood (a copy
   * asks its destination).
   */
  readonly resumable?: boolean;
  /**
   * True for methods where only the newest message to a node matters (the trusted set): a new
   * one drops those to the same node still waiting to be sent, as superseded.
   */
  readonly latestOnly?: boolean;
  /** The arguments it needs; none are checked when absent. */
  readonly methodArgs?: MethodArgsSpec;
  /**
   * The `Target` builder of the DSL that makes this request (`to("ship1").cli(…)`), or the
   * reply target that names it (`toFile(…)`); absent for methods only the agent sends.
   */
  readonly dsl?: string;
}
