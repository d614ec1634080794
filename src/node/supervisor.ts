/** What a supervised process is. */
export type ProcessKind = "publisher" | "subscriber" | "listener" | "method" | "ticker";

/** One entry of the process table. */
export interface ProcessInfo {
  id: number;
  kind: ProcessKind;
  /** Subject, listener address or method, depending on the kind. */
  name: string;
  method?: string;
  startedAt: string;
  allowedNodes?: string[];
  /** A method's state: waiting for a slot of the executor, or running since `startedAt`. */
  state?: "queued" | "running";
  /** When a method that waited for a slot was queued. */
  queuedAt?: string;
}

interface Entry extends ProcessInfo {
  controller: AbortController;
  done?: Promise<unknown>;
}

/**
 * The process table of a node: every long-running thing registers here with a name and an
 * AbortController, so that it can be listed and stopped (REQOpProcessList/Stop).
 *
 * @example
 * ```ts
 * import { Supervisor } from "./supervisor.ts";
 * const sup = new Supervisor();
 * const p = sup.start("ticker", "hello", (signal) => new Promise((r) => signal.onabort = r));
 * console.assert(sup.list().length === 1);
 * await sup.stop(p.id);
 * ```
 */
export class Supervisor {
  #nextId = 1;
  #table = new Map<number, Entry>();
  #onError: (info: ProcessInfo, err: unknown) => void;

  constructor(onError: (info: ProcessInfo, err: unknown) => void = () => {}) {
    this.#onError = onError;
  }

  /** Starts `run` as a supervised process; it is removed from the table when it ends. */
  start(
    kind: ProcessKind,
    name: string,
    run: (signal: AbortSignal) => Promise<unknown>,
    extra: { method?: string; allowedNodes?: string[]; state?: "queued" | "running" } = {},
  ): ProcessInfo {
    const controller = new AbortController();
    const entry: Entry = {
      id: this.#nextId++,
      kind,
      name,
      startedAt: new Date().toISOString(),
      controller,
      ...extra,
    };
    this.#table.set(entry.id, entry);
    entry.done = (async () => {
      try {
        await run(controller.signal);
      } catch (err) {
        if (!controller.signal.aborted) this.#onError(this.#info(entry), err);
      } finally {
        this.#table.delete(entry.id);
      }
    })();
    return this.#info(entry);
  }

  /**
   * Marks a queued process as running from now on (its queue time kept as `queuedAt`).
   *
   * @example
   * ```ts
   * import { Supervisor } from "./supervisor.ts";
   * const sup = new Supervisor();
   * const p = sup.start("method", "REQCliCommand 1", () => Promise.resolve(), { state: "queued" });
   * sup.markRunning(p.id);
   * ```
   */
  markRunning(id: number): void {
    const entry = this.#table.get(id);
    if (!entry || entry.state !== "queued") return;
    entry.queuedAt = entry.startedAt;
    entry.startedAt = new Date().toISOString();
    entry.state = "running";
  }

  /** Every running process, oldest first. */
  list(): ProcessInfo[] {
    return [...this.#table.values()].map((e) => this.#info(e));
  }

  /** Finds processes matching every given field. */
  find(query: Partial<Pick<ProcessInfo, "kind" | "name" | "method" | "id">>): ProcessInfo[] {
    return this.list().filter((p) =>
      (query.kind === undefined || p.kind === query.kind) &&
      (query.name === undefined || p.name === query.name) &&
      (query.method === undefined || p.method === query.method) &&
      (query.id === undefined || p.id === query.id)
    );
  }

  /** Stops one process and waits for it to end; false if there was no such process. */
  async stop(id: number, reason = "stopped"): Promise<boolean> {
    const entry = this.#table.get(id);
    if (!entry) return false;
    entry.controller.abort(new Error(reason));
    await entry.done;
    return true;
  }

  /** Stops every process, newest first. */
  async stopAll(): Promise<void> {
    const ids = [...this.#table.keys()].reverse();
    for (const id of ids) this.#table.get(id)?.controller.abort(new Error("node stopping"));
    await Promise.all(ids.map((id) => this.#table.get(id)?.done));
  }

  #info(e: Entry): ProcessInfo {
    const { controller: _c, done: _d, ...info } = e;
    return info;
  }
}
