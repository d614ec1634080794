/**
 * The start of every request: which node(s) it goes to, and one builder method per request
 * method.
 *
 * @module
 */
import { nodeName } from "../message/schema.ts";
import { CopySource } from "./copy.ts";
import { InvalidMessageError } from "./errors.ts";
import { commandArgv } from "./reply_target.ts";
import { type Operation, Request, type SeedMessage } from "./request.ts";
import type { MethodName, SubscriberMethod as TableSubscriberMethod } from "../methods/table.ts";

/** A seed message whose method the type checker finds in the method table. */
type Fields = Omit<SeedMessage, "toNode" | "toNodes" | "method"> & { method: MethodName };

/**
 * Methods that have a subscriber process on a node, as `startProcess`/`stopProcess` take:
 * derived from the method table (every method but those only central or the node itself may
 * call).
 *
 * @example
 * ```ts
 * import { type SubscriberMethod, to } from "../../mod.ts";
 * const method: SubscriberMethod = "REQHttpGet";
 * to("ship2").startProcess(method);
 * ```
 */
export type SubscriberMethod = TableSubscriberMethod;

/**
 * Which process `stopProcess` stops, in the seed's terms.
 *
 * @example
 * ```ts
 * import { type StopProcessOptions, to } from "../../mod.ts";
 * const which: StopProcessOptions = { method: "REQHttpGet", kind: "subscriber", id: 199 };
 * to("ship2").stopProcess(which);
 * ```
 */
export interface StopProcessOptions {
  /** The method the process serves, e.g. `REQHttpGet`. */
  readonly method: SubscriberMethod;
  /** Publisher or subscriber (default `subscriber`). */
  readonly kind?: "publisher" | "subscriber";
  /** The process id, as `processes()` lists it. */
  readonly id: number | string;
  /** The node the process belongs to (default: the one target of the request). */
  readonly node?: string;
}

function checkNode(name: string): string {
  const r = nodeName.safeParse(name);
  if (!r.success) {
    throw new InvalidMessageError(
      `Invalid node name ${JSON.stringify(name)}: ${r.error.issues[0].message}`,
    );
  }
  return name;
}

/**
 * The node(s) a request goes to; each method below returns a {@linkcode Request}. Immutable.
 *
 * @example
 * ```ts
 * import { to } from "../../mod.ts";
 * const ship1 = to("ship1");
 * const listing = ship1.cli("ls -l /");
 * const pong = ship1.ping();
 * ```
 */
export class Target {
  readonly #nodes: readonly string[];
  readonly #many: boolean;

  /**
   * Makes a target; playbooks use {@linkcode to} and {@linkcode toNodes}.
   *
   * @throws {InvalidMessageError} on a bad node name or an empty list.
   */
  constructor(nodes: readonly string[], many: boolean) {
    if (!Array.isArray(nodes) || nodes.length === 0) {
      throw new InvalidMessageError("toNodes: give at least one node name");
    }
    this.#nodes = Object.freeze(nodes.map(checkNode));
    this.#many = many;
    Object.freeze(this);
  }

  /** The node names. */
  get nodes(): readonly string[] {
    return this.#nodes;
  }

  #request<S extends boolean>(fields: Fields, streaming: S) {
    const where = this.#many ? { toNodes: [...this.#nodes] } : { toNode: this.#nodes[0] };
    return new Request<S>({ ...where, ...fields }, streaming);
  }

  /**
   * Runs a command and replies with its output when it ends (`REQCliCommand`). A string is a
   * shell line run with `bash -c`; an array is the argv itself.
   *
   * @example
   * ```ts
   * import { to } from "../../mod.ts";
   * to("ship1").cli("tree"); // methodArgs ["bash", "-c", "tree"]
   * to("ship1").cli(["ls", "-l", "/etc"]);
   * ```
   */
  cli(command: string | readonly string[]): Request<false> {
    return this.#request(
      { method: "REQCliCommand", methodArgs: commandArgv(command, "cli") },
      false,
    );
  }

  /**
   * Runs a command and sends its output back line by line while it runs
   * (`REQCliCommandCont`); bound it with `.for(seconds)`.
   *
   * @example
   * ```ts
   * import { to } from "../../mod.ts";
   * to("ship1").cliCont("vmstat 1").for(10);
   * ```
   */
  cliCont(command: string | readonly string[]): Request<true> {
    return this.#request(
      { method: "REQCliCommandCont", methodArgs: commandArgv(command, "cliCont") },
      true,
    );
  }

  /**
   * Follows a file on the node and sends each new line back (`REQTailFile`); bound it with
   * `.for(seconds)`.
   *
   * @example
   * ```ts
   * import { to } from "../../mod.ts";
   * to("ship2").tail("/var/log/syslog").for(60);
   * ```
   */
  tail(path: string): Request<true> {
    if (typeof path !== "string" || path === "") {
      throw new InvalidMessageError("tail: give the path of the file to follow");
    }
    return this.#request({ method: "REQTailFile", methodArgs: [path] }, true);
  }

  /**
   * Fetches a URL from the node and replies with the body (`REQHttpGet`).
   *
   * @throws {InvalidMessageError} when `url` is not an http(s) URL.
   * @example
   * ```ts
   * import { to } from "../../mod.ts";
   * to("ship1").httpGet("https://example.org/");
   * ```
   */
  httpGet(url: string | URL): Request<false> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidMessageError(`httpGet: ${JSON.stringify(String(url))} is not a URL`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new InvalidMessageError(`httpGet: only http and https URLs, got ${parsed.protocol}`);
    }
    return this.#request({ method: "REQHttpGet", methodArgs: [parsed.href] }, false);
  }

  /**
   * Copies a file from the node to another node (`REQCopySrc`): say where with `.to(node,
   * path)`.
   *
   * @example
   * ```ts
   * import { to } from "../../mod.ts";
   * to("ship1").copy("/var/log/app.log").to("central", "logs/ship1-app.log").for(600);
   * ```
   */
  copy(path: string): CopySource {
    return new CopySource(
      path,
      (methodArgs) => this.#request({ method: "REQCopySrc", methodArgs }, true),
    );
  }

  /**
   * Pings the node; it answers with a pong (`REQPing`).
   *
   * @example
   * ```ts
   * import { toNodes } from "../../mod.ts";
   * toNodes(["ship1", "ship2"]).ping();
   * ```
   */
  ping(): Request<false> {
    return this.#request({ method: "REQPing" }, false);
  }

  /**
   * Lists the node's processes: publishers, subscribers, listeners, running methods
   * (`REQOpProcessList`).
   *
   * @example
   * ```ts
   * import { to } from "../../mod.ts";
   * to("ship1").processes();
   * ```
   */
  processes(): Request<false> {
    return this.#request({ method: "REQOpProcessList" }, false);
  }

  /**
   * Starts the subscriber process of `method` on the node (`REQOpProcessStart`).
   *
   * @example
   * ```ts
   * import { to } from "../../mod.ts";
   * to("ship2").startProcess("REQHttpGet");
   * ```
   */
  startProcess(method: SubscriberMethod): Request<false> {
    return this.#request({ method: "REQOpProcessStart", methodArgs: [method] }, false);
  }

  /**
   * Stops a process on the node (`REQOpProcessStop`), with the seed's arguments: method,
   * node, kind and process id.
   *
   * @throws {InvalidMessageError} when `node` is left out for a request to several nodes.
   * @example
   * ```ts
   * import { to } from "../../mod.ts";
   * to("ship2").stopProcess({ method: "REQHttpGet", id: 199 });
   * ```
   */
  stopProcess(options: StopProcessOptions): Request<false> {
    const node = options.node ?? (this.#nodes.length === 1 ? this.#nodes[0] : undefined);
    if (node === undefined) {
      throw new InvalidMessageError("stopProcess: say which node's process (option node)");
    }
    return this.#request({
      method: "REQOpProcessStop",
      methodArgs: [options.method, checkNode(node), options.kind ?? "subscriber", `${options.id}`],
    }, false);
  }

  /**
   * Sends an operator command (`REQOpCommand`): `ps`, `startProc` or `stopProc`.
   *
   * @example
   * ```ts
   * import { to } from "../../mod.ts";
   * to("ship1").opCommand({ opCmd: "ps" });
   * to("ship1").opCommand({
   *   opCmd: "startProc",
   *   opArg: { method: "REQCliCommand", allowedNodes: ["central"] },
   * });
   * ```
   */
  opCommand(operation: Operation): Request<false> {
    return this.#request({ method: "REQOpCommand", operation }, false);
  }
}

/**
 * Starts a request to one node.
 *
 * @throws {InvalidMessageError} when `node` is not a valid node name.
 * @example
 * ```ts
 * import { to, toFile } from "../../mod.ts";
 * const message = to("ship1").cli("tree").reply(toFile("out"));
 * ```
 */
export function to(node: string): Target {
  return new Target([node], false);
}

/**
 * Starts a request to several nodes (`toNodes`): the agent sends one message to each.
 *
 * @throws {InvalidMessageError} when a name is not valid or the list is empty.
 * @example
 * ```ts
 * import { toNodes } from "../../mod.ts";
 * toNodes(["ship1", "ship2"]).cli("uptime");
 * ```
 */
export function toNodes(nodes: readonly string[]): Target {
  return new Target(nodes, true);
}
