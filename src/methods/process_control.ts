/**
 * What the process-control methods (`REQOpProcessList/Start/Stop`, `REQOpCommand`) do to a
 * node's process table, shared so that both spellings of a request behave the same.
 *
 * @module
 */
import type { ProcessKind } from "../node/supervisor.ts";
import { MethodError, type NodeServices } from "./types.ts";

const KINDS: readonly ProcessKind[] = ["publisher", "subscriber", "listener", "method", "ticker"];

/**
 * Lists every process of the node, oldest first, as one JSON object per line (id, kind, name,
 * method, startedAt and allowedNodes when set): readable in a reply file, and parseable.
 *
 * @example
 * ```ts ignore
 * import { listProcesses } from "./process_control.ts";
 * listProcesses(node);
 * // {"id":3,"kind":"subscriber","name":"ship1.REQPing.EventACK","method":"REQPing",…}\n…
 * ```
 */
export function listProcesses(node: NodeServices): string {
  return node.supervisor.list().map((p) => JSON.stringify(p) + "\n").join("");
}

/**
 * Starts the subscriber for `method`, taking messages only from `allowedNodes` when given.
 *
 * @throws {MethodError} for an unknown method or one whose subscriber already runs.
 * @example
 * ```ts ignore
 * import { startProcess } from "./process_control.ts";
 * startProcess(node, "REQHttpGet", ["central"]);
 * // "started subscriber for REQHttpGet on ship1 (id 42), allowed nodes: central"
 * ```
 */
export function startProcess(node: NodeServices, method: string, allowedNodes?: string[]): string {
  if (!method) throw new MethodError("startProc needs the method whose subscriber to start");
  const nodes = allowedNodes?.filter((n) => n !== "");
  const id = node.startSubscriber(method, nodes && nodes.length > 0 ? nodes : undefined);
  const allowed = nodes && nodes.length > 0 && !nodes.includes("*")
    ? `allowed nodes: ${nodes.join(",")}`
    : "allowed nodes: all";
  return `started subscriber for ${method} on ${node.config.nodeName} (id ${id}), ${allowed}\n`;
}

/** Which process {@linkcode stopProcess} stops: the seed's arguments. */
export interface StopRequest {
  /** The method of the process (`REQHttpGet`). */
  method?: string;
  /** For a subscriber, this node; for a publisher, the node it sends to. */
  receivingNode?: string;
  /** `subscriber` (default), `publisher`, or another kind when `id` is given. */
  kind?: string;
  /** The process id from a process list; when given it must match the rest. */
  id?: string | number;
}

/**
 * Stops one process of the node and waits until it has ended. Refuses to stop the
 * process-control subscribers themselves (that would cut the node off from being managed), the
 * dispatcher (it could send nothing any more) and the request's own run. A given id must match
 * the rest of the request: an id from an old list must not stop some other process.
 *
 * @param self the process name of the request doing the stopping, `<method> <id>`.
 * @throws {MethodError} when no process matches, or the match is not allowed to be stopped.
 * @example
 * ```ts ignore
 * import { stopProcess } from "./process_control.ts";
 * await stopProcess(node, { method: "REQHttpGet", receivingNode: "ship2", kind: "subscriber" }, self);
 * ```
 */
export async function stopProcess(
  node: NodeServices,
  request: StopRequest,
  self: string,
): Promise<string> {
  const here = node.config.nodeName;
  const kind = request.kind || "subscriber";
  if (!KINDS.includes(kind as ProcessKind)) {
    throw new MethodError(`kind "${kind}": expected one of ${KINDS.join(", ")}`);
  }
  const receivingNode = request.receivingNode || here;
  if (kind === "subscriber" && receivingNode !== here) {
    throw new MethodError(`a subscriber for ${receivingNode} does not run on ${here}`);
  }
  const id = request.id === undefined || request.id === "" ? undefined : Number(request.id);
  if (id !== undefined && !Number.isInteger(id)) {
    throw new MethodError(`process id "${request.id}" is not a number`);
  }
  const candidates = node.supervisor.list().filter((p) =>
    p.kind === kind &&
    (id === undefined || p.id === id) &&
    (!request.method || p.method === request.method) &&
    (kind !== "publisher" || p.name.startsWith(`${receivingNode}.`))
  );
  const what = `${kind}${request.method ? ` for ${request.method}` : ""}` +
    `${kind === "publisher" ? ` to ${receivingNode}` : ""}${id === undefined ? "" : ` id ${id}`}`;
  if (candidates.length === 0) {
    const running = node.supervisor.find({ kind: kind as ProcessKind })
      .filter((p) => !request.method || p.method === request.method)
      .map((p) => p.id);
    throw new MethodError(
      `no ${what} running on ${here}` +
        (running.length > 0 ? ` (running: id ${running.join(", ")})` : ""),
    );
  }
  if (id === undefined && !request.method) {
    throw new MethodError(`stopProc needs a method or a process id`);
  }
  if (candidates.length > 1) {
    throw new MethodError(
      `${candidates.length} processes match ${what}: give the id (${
        candidates.map((p) => p.id).join(", ")
      })`,
    );
  }
  const target = candidates[0];
  if (target.name === self) throw new MethodError("a request cannot stop its own run");
  if (target.kind === "ticker" && target.name === "dispatcher") {
    throw new MethodError(`not stopping the dispatcher: ${here} could not send anything any more`);
  }
  if (target.kind === "subscriber" && target.method?.startsWith("REQOp")) {
    throw new MethodError(
      `not stopping the ${target.method} subscriber: ${here} could not be managed any more`,
    );
  }
  await node.supervisor.stop(target.id, `stopped by ${self}`);
  return `stopped ${target.kind} ${target.name} (id ${target.id}) on ${here}\n`;
}
