import { assert, assertEquals } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import { createHmac } from "node:crypto";
import { StoreJournal } from "./store_journal.ts";

const pong = (id: string, data = `pong ${id}`) =>
  testMessage({ id, method: "REQPong", isReply: true, data });

const KEY = new Uint8Array(32).fill(7);

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withJournal(fn: (path: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(`${dir}/store_journal.log`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("StoreJournal: stores not settled are left for the next start, in order", () =>
  withJournal((path) => {
    const first = StoreJournal.open(path, KEY);
    assertEquals(first.left, []);
    assert(first.note(pong("a")) && first.note(pong("b")));
    first.flush(); // One write for both.
    first.note(pong("c"));
    first.flush();
    first.note(pong("never written")); // Its store had not begun: no flush yet.
    first.leftHandled();
    first.settled("b");
    first.close(); // As a crash would leave it: nothing more is written.
    const second = StoreJournal.open(path, KEY);
    // "b" is still in the file (it was not empty): the next start asks KV about it.
    assertEquals(second.left.map((m) => [m.id, m.data]), [
      ["a", "pong a"],
      ["b", "pong b"],
      ["c", "pong c"],
    ]);
    second.close();
  }));

Deno.test("StoreJournal: emptied once nothing is pending and what was left is handled", () =>
  withJournal(async (path) => {
    const first = StoreJournal.open(path, KEY);
    first.note(pong("old"));
    first.flush();
    first.close();
    const second = StoreJournal.open(path, KEY, 5);
    second.note(pong("new"));
    second.flush();
    second.settled("new");
    await delay(30);
    assert(Deno.statSync(path).size > 0, "kept while the left store is not handled");
    second.leftHandled();
    assert(Deno.statSync(path).size > 0, "a small journal is emptied by its timer, not at once");
    await delay(30);
    assertEquals(Deno.statSync(path).size, 0);
    // Appends start again at the beginning of the emptied file.
    second.note(pong("next", "x"));
    second.flush();
    second.close();
    assertEquals(StoreJournal.open(path, KEY).left.map((m) => m.id), ["next"]);
    assertEquals(Deno.readTextFileSync(path).split("\n").length, 2);
  }));

Deno.test("StoreJournal: a journal of 64 KiB or more is emptied as soon as it is idle", () =>
  withJournal((path) => {
    const journal = StoreJournal.open(path, KEY, 60_000);
    journal.leftHandled();
    const big = "x".repeat(40 * 1024);
    journal.note(pong("a", big));
    journal.flush();
    journal.settled("a");
    assert(Deno.statSync(path).size > 0, "40 KiB waits for the timer");
    journal.note(pong("b", big));
    journal.flush();
    journal.settled("b");
    assertEquals(Deno.statSync(path).size, 0);
    journal.close(); // Clears the pending timer: the test's sanitizer checks it.
  }));

Deno.test("StoreJournal: the timer leaves a journal alone that became busy again", () =>
  withJournal(async (path) => {
    const journal = StoreJournal.open(path, KEY, 5);
    journal.leftHandled();
    journal.note(pong("a"));
    journal.flush();
    journal.settled("a");
    journal.note(pong("b"));
    journal.flush();
    await delay(30);
    journal.close();
    assertEquals(StoreJournal.open(path, KEY).left.map((m) => m.id), ["a", "b"]);
  }));

Deno.test("StoreJournal: a line torn by a crash or damaged on disk is skipped", () =>
  withJournal((path) => {
    const first = StoreJournal.open(path, KEY);
    first.note(pong("whole"));
    first.flush();
    first.close();
    const torn = JSON.stringify(pong("torn")).slice(0, 40);
    Deno.writeFileSync(path, new Uint8Array([0xff, 0xfe, 10]), { append: true });
    Deno.writeTextFileSync(path, `{"id":1}\n${torn}`, { append: true });
    const second = StoreJournal.open(path, KEY);
    assertEquals(second.left.map((m) => m.id), ["whole"]);
    // The bytes 0xff 0xfe and {"id":1} carry no MAC; the torn last line is not counted.
    assertEquals(second.refused, 2);
    second.close();
  }));

Deno.test("StoreJournal: a line without a valid MAC is skipped and counted, never left", () =>
  withJournal((path) => {
    const first = StoreJournal.open(path, KEY);
    first.note(pong("real"));
    first.flush();
    first.close();
    const planted = JSON.stringify(pong("planted"));
    Deno.writeTextFileSync(path, `${planted}\n${"0".repeat(64)} ${planted}\n`, { append: true });
    const [mac, json] = Deno.readTextFileSync(path).split("\n")[0].split(/ (.*)/s);
    const altered = json.replace('"pong real"', '"pong evil"');
    Deno.writeTextFileSync(path, `${mac} ${altered}\n`, { append: true });
    const second = StoreJournal.open(path, KEY);
    assertEquals(second.left.map((m) => m.id), ["real"]);
    assertEquals(second.refused, 3);
    second.close();
    // Under another key not even the real line holds.
    const other = StoreJournal.open(path, new Uint8Array(32).fill(8));
    assertEquals([other.left.length, other.refused], [0, 4]);
    other.close();
  }));

Deno.test("StoreJournal: the journal file is created 0600", () =>
  withJournal((path) => {
    StoreJournal.open(path, KEY).close();
    assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
  }));

Deno.test("StoreJournal: data up to the node's largest message is noted; more is not (the caller records it in KV)", () =>
  withJournal((path) => {
    const journal = StoreJournal.open(path, KEY, undefined, 2 * 1024 * 1024);
    assertEquals(journal.note(pong("big", "x".repeat(1_200_000))), true);
    assertEquals(journal.note(pong("bigger", "x".repeat(2 * 1024 * 1024 + 1))), false);
    journal.flush();
    journal.close();
    const again = StoreJournal.open(path, KEY);
    assertEquals(again.left.map((m) => [m.id, m.data.length]), [["big", 1_200_000]]);
    again.close();
  }));

Deno.test("StoreJournal: a journal that is never idle is compacted to its pending lines", () =>
  withJournal((path) => {
    const journal = StoreJournal.open(path, KEY);
    journal.leftHandled();
    journal.note(pong("kept"));
    journal.flush();
    const data = "y".repeat(40 * 1024);
    for (let i = 0; i < 120; i++) {
      journal.note(pong(`p${i}`, data));
      journal.flush();
      journal.settled(`p${i - 1}`);
    }
    assert(Deno.statSync(path).size < 4 * 1024 * 1024, "compacted");
    journal.close();
    const ids = StoreJournal.open(path, KEY).left.map((m) => m.id);
    assert(ids.includes("kept") && ids.includes("p119"), `kept and p119 in ${ids}`);
    assert(!ids.includes("p50"), "settled lines dropped");
  }));

Deno.test("StoreJournal: each line is the HMAC-SHA256 of its JSON under the key, then the JSON", () =>
  withJournal((path) => {
    const journal = StoreJournal.open(path, KEY);
    journal.note(pong("a"));
    journal.flush();
    journal.close();
    const [mac, json] = Deno.readTextFileSync(path).trimEnd().split(/ (.*)/s);
    assertEquals(mac, createHmac("sha256", KEY).update(json).digest("hex"));
    assertEquals(JSON.parse(json).id, "a");
  }));

Deno.test("StoreJournal: placements are written at once, left for the next start until settled, MAC-checked", () =>
  withJournal((path) => {
    const first = StoreJournal.open(path, KEY);
    assert(first.note(pong("a")) && first.note(pong("b")));
    first.place("a", "/data/x/ship1/out", 0, 7);
    first.place("b", "/data/x/ship1/out", 7, 7);
    first.settled("b"); // Its "done" mark is durable: neither line is needed.
    first.close();
    const second = StoreJournal.open(path, KEY);
    assertEquals(second.left.map((m) => m.id), ["a", "b"]);
    assertEquals([...second.placements.values()], [
      { id: "a", path: "/data/x/ship1/out", offset: 0, length: 7 },
      { id: "b", path: "/data/x/ship1/out", offset: 7, length: 7 },
    ]);
    second.leftHandled();
    second.settled("a");
    second.close();
    // A planted placement (no valid MAC) is refused like a planted store.
    Deno.writeTextFileSync(
      path,
      `${"0".repeat(64)} {"placed":{"id":"a","path":"/etc/passwd","offset":0,"length":1}}\n`,
      { append: true },
    );
    const third = StoreJournal.open(path, KEY);
    assertEquals(third.refused, 1);
    // Only the genuine ones (still in the file until it is emptied), never the planted one.
    assertEquals([...third.placements.values()].map((p) => p.path), [
      "/data/x/ship1/out",
      "/data/x/ship1/out",
    ]);
    third.close();
  }));
