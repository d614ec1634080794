import { assertEquals } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import type { Message } from "../message/schema.ts";
import type { DedupRecord } from "../store/dedup_store.ts";
import type { Placement } from "../store/store_journal.ts";
import { Recovery, type RecoveryDeps } from "./recovery.ts";

type Running = DedupRecord & { state: "running" };

/** Recovery over fakes that record every call in `calls`, in order. */
function fakeRecovery(
  left: {
    inflight?: (Message | { bad: string })[];
    journal?: Message[];
    refused?: number;
    recorded?: string[];
    interrupted?: Running[];
    files?: Record<string, string>;
    placements?: Placement[];
  } = {},
) {
  const calls: string[] = [];
  const files = { ...left.files };
  const deps: RecoveryDeps = {
    nodeName: "ship1",
    databaseFolder: "/db",
    inflight: {
      async *list(onBad) {
        for (const m of left.inflight ?? []) {
          if ("bad" in m) onBad(m.bad, "torn");
          else yield m;
        }
      },
    },
    queue: (m) => Promise.resolve(void calls.push(`queue ${m.id}`)),
    journal: {
      left: left.journal ?? [],
      placements: new Map((left.placements ?? []).map((p) => [p.id, p])),
      refused: left.refused ?? 0,
      leftHandled: () => void calls.push("leftHandled"),
    },
    dedup: {
      recorded: (id) => Promise.resolve((left.recorded ?? []).includes(id)),
      async *interrupted() {
        yield* left.interrupted ?? [];
      },
      record: (m, state) => Promise.resolve(void calls.push(`record ${m.id} ${state}`)),
    },
    execute: async (m, def) => {
      const during = recovery.recovering.has(m.id) ? "recovering" : "not recovering";
      calls.push(`execute ${m.id} ${def.name} ${during}`);
      if (def.name === "REQToFileAppend") await recovery.appendOnce(m.id, "/f", m.data);
    },
    replyError: (m, def, error) =>
      Promise.resolve(void calls.push(`reply ${m.id} ${def.name}: ${error}`)),
    replyFiles: {
      size: (path) => new TextEncoder().encode(files[path] ?? "").length,
      truncate: (path, length) => {
        calls.push(`truncate ${path} ${length}`);
        files[path] = new TextDecoder().decode(
          new TextEncoder().encode(files[path] ?? "").subarray(0, length),
        );
      },
      write: (path, content, _mode, id) => {
        calls.push(`append ${path} ${content} as ${id}`);
        files[path] = (files[path] ?? "") + content;
        return Promise.resolve();
      },
    },
    reportError: (text) => void calls.push(`error ${text}`),
    log: (line) => void calls.push(`log ${line}`),
  };
  const recovery = new Recovery(deps);
  return { recovery, calls, files };
}

const store = (id: string, data: string) =>
  testMessage({ id, method: "REQToFileAppend", data, isReply: true });

Deno.test("requeueInflight() queues unfinished messages in the order listed and drops unreadable ones", async () => {
  const { recovery, calls } = fakeRecovery({
    inflight: [testMessage({ id: "a" }), { bad: "b" }, testMessage({ id: "c" })],
  });
  assertEquals(await recovery.requeueInflight(), 2);
  assertEquals(calls, [
    "queue a",
    "error dropped unreadable inflight record b: torn",
    "queue c",
    "log ship1: re-sending 2 unfinished",
  ]);
});

Deno.test("requeueInflight() says nothing when nothing was left", async () => {
  const { recovery, calls } = fakeRecovery();
  assertEquals(await recovery.requeueInflight(), 0);
  assertEquals(calls, []);
});

Deno.test("finishJournaledStores() finishes only stores KV has no record of, then hands the journal back", async () => {
  const { recovery, calls, files } = fakeRecovery({
    journal: [store("s1", "one\n"), testMessage({ id: "p1" }), store("s2", "two\n")],
    recorded: ["s2"],
  });
  await recovery.finishJournaledStores();
  assertEquals(calls, [
    "execute s1 REQToFileAppend recovering",
    "append /f one\n as s1",
    "leftHandled",
  ]);
  assertEquals(files, { "/f": "one\n" });
  assertEquals(recovery.recovering.size, 0);
});

Deno.test("finishJournaledStores() decides by each store's placement, never by what the file holds", async () => {
  const { recovery, calls, files } = fakeRecovery({
    // Three identical replies: two reached the file before the crash, the third had not.
    journal: [store("s1", "ok\n"), store("s2", "ok\n"), store("s3", "ok\n")],
    placements: [
      { id: "s1", path: "/f", offset: 0, length: 3 },
      { id: "s2", path: "/f", offset: 3, length: 3 },
      { id: "s3", path: "/f", offset: 6, length: 3 },
    ],
    files: { "/f": "ok\nok\n" },
  });
  await recovery.finishJournaledStores();
  assertEquals(calls.filter((c) => !c.startsWith("execute")), [
    "append /f ok\n as s3",
    "leftHandled",
  ]);
  assertEquals(files, { "/f": "ok\nok\nok\n" });
});

Deno.test("finishJournaledStores() cuts a torn append back and makes it whole, then those placed after it", async () => {
  const { recovery, calls, files } = fakeRecovery({
    // Listed out of order; s2's append was torn after two bytes, s3 was placed after it.
    journal: [store("s3", "three\n"), store("s2", "two\n"), store("s1", "one\n")],
    placements: [
      { id: "s1", path: "/f", offset: 0, length: 4 },
      { id: "s2", path: "/f", offset: 4, length: 4 },
      { id: "s3", path: "/f", offset: 8, length: 6 },
    ],
    files: { "/f": "one\ntw" },
  });
  await recovery.finishJournaledStores();
  assertEquals(calls.filter((c) => !c.startsWith("execute") && !c.startsWith("log")), [
    "truncate /f 4",
    "append /f two\n as s2",
    "append /f three\n as s3",
    "leftHandled",
  ]);
  assertEquals(files, { "/f": "one\ntwo\nthree\n" });
});

Deno.test("finishJournaledStores() reports journal lines without a valid MAC, after handing the journal back", async () => {
  const { recovery, calls } = fakeRecovery({ refused: 1 });
  await recovery.finishJournaledStores();
  assertEquals(calls, [
    "leftHandled",
    "error store journal /db/store_journal.log: 1 line without a valid MAC skipped, not acted " +
    "on (planted, damaged, or written with another journal key)",
  ]);
});

Deno.test("answerInterrupted() finishes a kept store, runs a command that never started, answers the rest once", async () => {
  const running = (message: Message, dataKept?: boolean, started?: boolean): Running => ({
    state: "running",
    at: 1,
    message,
    ...(dataKept === undefined ? {} : { dataKept }),
    ...(started ? { started } : {}),
  });
  const chained = (id: string, data: string) =>
    testMessage({ id, method: "REQCliCommand", isReply: true, data });
  const { recovery, calls } = fakeRecovery({
    interrupted: [
      running(store("kept", "x\n"), true),
      running(store("lost", "y\n"), false),
      running(testMessage({ id: "cmd", method: "REQCliCommand" }), false, true),
      running(testMessage({ id: "odd", method: "REQNoSuchMethod" })),
      // Never started: run now, once (their own "started" record comes before the spawn).
      running(testMessage({ id: "queued", method: "REQCliCommand" }), false),
      running(chained("queued-chain", "data"), true),
      // Never started, but the data it was to run with is gone: answered, not run without it.
      running(chained("queued-big", ""), false),
    ],
  });
  await recovery.answerInterrupted();
  const error = "ship1 restarted while running this message; not run again (at most once)";
  assertEquals(calls, [
    "execute kept REQToFileAppend recovering",
    "append /f x\n as kept",
    `reply lost REQToFileAppend: ${error}`,
    "record lost done",
    `reply cmd REQCliCommand: ${error}`,
    "record cmd done",
    "record odd done",
    "execute queued REQCliCommand not recovering",
    "execute queued-chain REQCliCommand not recovering",
    `reply queued-big REQCliCommand: ${error}`,
    "record queued-big done",
  ]);
});
