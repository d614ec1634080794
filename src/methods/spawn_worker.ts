/**
 * The spawn worker: runs children for a `SpawnThread` on a thread of its own. Deno's spawn is a
 * synchronous call that lasts until the child has exec'd (5–10 ms on a loaded machine through
 * `setsid`): on the agent's thread, sixteen commands starting at once held every ACK, finished
 * command and reply behind them for a tenth of a second or more.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { ChildStartError, killGroup, runChild } from "./child_run.ts";
import type { FromSpawnWorker, ToSpawnWorker } from "./spawn_protocol.ts";

const stops = new Map<number, AbortController>();
/** The pid of each child running, for killAll. */
const pids = new Map<number, number>();
const credits = new Map<number, () => void>();
/** Runs asked for and not yet spawned, oldest first. */
const toSpawn: Extract<ToSpawnWorker, { type: "run" }>[] = [];
let pumping = false;

/**
 * Spawns the children asked for one at a time, with a turn of the event loop between spawns:
 * a spawn blocks this thread, and sixteen back to back kept the first child's exit (and its
 * result) waiting until the sixteenth had started.
 */
async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  try {
    while (toSpawn.length > 0) {
      run(toSpawn.shift()!);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  } finally {
    pumping = false;
  }
}

function send(message: FromSpawnWorker): void {
  self.postMessage(message);
}

async function run(message: Extract<ToSpawnWorker, { type: "run" }>): Promise<void> {
  const { id } = message;
  const stop = new AbortController();
  stops.set(id, stop);
  try {
    const onChunk = message.stream
      ? (chunk: Uint8Array) =>
        new Promise<void>((resolve) => {
          credits.set(id, resolve);
          send({ type: "chunk", id, chunk });
        })
      : undefined;
    const result = await runChild(message.spec, {
      stop: stop.signal,
      onChunk,
      onStart: (pid) => {
        pids.set(id, pid);
        send({ type: "started", id, pid });
      },
    });
    send({ type: "done", id, result });
  } catch (err) {
    send({
      type: "failed",
      id,
      failure: err instanceof ChildStartError ? err.failure : "crashed",
      message: err instanceof Error ? err.message : String(err),
    });
  } finally {
    stops.delete(id);
    credits.delete(id);
    pids.delete(id);
  }
}

self.onmessage = (event: MessageEvent<ToSpawnWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "run":
      toSpawn.push(message);
      pump();
      break;
    case "stop": {
      // Not spawned yet: it never will be.
      const waiting = toSpawn.findIndex((m) => m.id === message.id);
      if (waiting >= 0) {
        toSpawn.splice(waiting, 1);
        send({
          type: "failed",
          id: message.id,
          failure: "crashed",
          message: "stopped before it started",
        });
        break;
      }
      stops.get(message.id)?.abort();
      // A child waiting for its chunk to be taken must still see the stop.
      credits.get(message.id)?.();
      break;
    }
    case "more":
      credits.get(message.id)?.();
      break;
    case "killAll":
      // Children the agent's thread may not have heard of yet (their "started" in flight).
      toSpawn.length = 0;
      for (const pid of pids.values()) killGroup(pid, "SIGKILL");
      break;
  }
};
