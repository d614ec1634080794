/**
 * Where the web page's views read their facts on central: the key registry, the hello
 * registry, the in-flight store, the error log files, the audit log's tail and the replies
 * handled since the page started. Every read is bounded.
 *
 * @module
 */
import { join } from "node:path";
import type { Message } from "../message/schema.ts";
import type { KeyRegistry } from "../security/key_registry.ts";
import type { HelloStore } from "../store/hello_store.ts";
import type { InflightStore } from "../store/inflight_store.ts";
import { lastErrors } from "./error_log_files.ts";
import { type FleetView, fleetView } from "./fleet_view.ts";
import {
  type AuditEntry,
  type MessageFilter,
  type MessageRow,
  messageView,
} from "./message_view.ts";
import { RecentReplies } from "./recent_replies.ts";

/** Bytes read from the end of the audit log for the message view. */
const AUDIT_TAIL_BYTES = 512 * 1024;
/** Most in-flight messages read for a view. */
const MAX_INFLIGHT = 1000;

/** What {@linkcode WebSources} reads. */
export interface WebSourcesDeps {
  /** Central's name. */
  central: string;
  /** Folder of `audit.log` (-databaseFolder). */
  databaseFolder: string;
  /** Folder of `errorLog/` (-subscribersDataFolder). */
  subscribersDataFolder: string;
  registry: Pick<KeyRegistry, "list">;
  hello: Pick<HelloStore, "all">;
  inflight: Pick<InflightStore, "list">;
  /** Listens to every reply central handles; returns the function that stops listening. */
  onReply(listener: (reply: Message) => void): () => void;
}

/**
 * The last lines of the audit log at `path`, oldest first (from its last `maxBytes`); lines
 * that are not audit entries are skipped.
 *
 * @example
 * ```ts
 * import { readAuditTail } from "./web_sources.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/audit.log`, '{"time":"t","event":"delivered","subject":"a.b","message":{"id":"1"}}\n');
 * console.assert((await readAuditTail(`${dir}/audit.log`))[0].message.id === "1");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readAuditTail(
  path: string,
  maxBytes = AUDIT_TAIL_BYTES,
): Promise<AuditEntry[]> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  let bytes: Uint8Array;
  let from: number;
  try {
    const size = (await file.stat()).size;
    from = Math.max(0, size - maxBytes);
    await file.seek(from, Deno.SeekMode.Start);
    bytes = new Uint8Array(size - from);
    let at = 0;
    while (at < bytes.length) {
      const n = await file.read(bytes.subarray(at));
      if (n === null) break;
      at += n;
    }
    bytes = bytes.subarray(0, at);
  } finally {
    file.close();
  }
  const lines = new TextDecoder().decode(bytes).split("\n");
  if (from > 0) lines.shift(); // Cut in the middle.
  const out: AuditEntry[] = [];
  for (const line of lines) {
    if (line === "") continue;
    try {
      const e = JSON.parse(line);
      if (typeof e?.message?.id === "string" && typeof e.subject === "string") out.push(e);
    } catch {
      // A line being written when the tail was read.
    }
  }
  return out;
}

/**
 * The facts of the web page's views, read on demand; replies are recorded from the moment it
 * is made until `close`.
 *
 * @example
 * ```ts ignore
 * import { WebSources } from "./web_sources.ts";
 * const sources = new WebSources({ central: "central", ... });
 * console.log((await sources.fleet()).nodes);
 * sources.close();
 * ```
 */
export class WebSources {
  #deps: WebSourcesDeps;
  #replies = new RecentReplies();
  #stop: () => void;

  constructor(deps: WebSourcesDeps) {
    this.#deps = deps;
    this.#stop = deps.onReply((reply) => this.#replies.add(reply));
  }

  /** The fleet at a glance. */
  async fleet(now = Date.now()): Promise<FleetView> {
    const d = this.#deps;
    const inflightByNode: Record<string, number> = {};
    for (const m of await this.#inflight()) {
      inflightByNode[m.toNode] = (inflightByNode[m.toNode] ?? 0) + 1;
    }
    return fleetView({
      central: d.central,
      keys: await d.registry.list(),
      hellos: await d.hello.all(),
      inflightByNode,
      lastErrors: await lastErrors(d.subscribersDataFolder),
      now,
    });
  }

  /** The latest messages and their states. */
  async messages(filter: MessageFilter = {}): Promise<MessageRow[]> {
    return messageView({
      audit: await readAuditTail(join(this.#deps.databaseFolder, "audit.log")),
      inflight: await this.#inflight(),
      replies: this.#replies.list(),
    }, filter);
  }

  /** Stops recording replies. */
  close(): void {
    this.#stop();
  }

  async #inflight(): Promise<Message[]> {
    const out: Message[] = [];
    for await (const m of this.#deps.inflight.list(() => {})) {
      out.push(m);
      if (out.length >= MAX_INFLIGHT) break;
    }
    return out;
  }
}
