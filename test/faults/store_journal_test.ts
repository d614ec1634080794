/**
 * The store journal at start-up: stores an earlier process noted and never marked done are
 * finished once each, before any resend can arrive; an append that reached its file before the
 * crash is not repeated, and one that did not is made, even when the file already holds the
 * same text (decided by where each append was placed, never by the file's content).
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { Fleet, readOr, waitFor } from "../harness.ts";
import { testMessage } from "../message_fixture.ts";
import { StoreJournal } from "../../src/store/store_journal.ts";
import { loadJournalKey } from "../../src/store/journal_key.ts";
import { OPTS } from "./support.ts";

Deno.test(
  "store journal: after a crash, each noted store is finished once at start; what reached its file is not appended again, an identical one that did not is",
  OPTS,
  async () => {
    const fleet = await Fleet.start(["central"]);
    try {
      const central = fleet.get("central");
      await central.kill9();
      // As a crash in a burst leaves them: three stores noted and placed, the first already
      // appended to its file, the second and third (the same text as the first) not; none
      // marked done in KV.
      const store = (id: string, data: string) =>
        testMessage({
          id,
          fromNode: "ship1",
          toNode: "central",
          method: "REQToFileAppend",
          directory: "results",
          fileName: "out.txt",
          data,
          isReply: true,
          previousMessage: {
            id: `${id}-request`,
            method: "REQCliCommand",
            toNode: "ship1",
            fromNode: "central",
            methodArgs: ["echo"],
          },
        });
      const file = central.file("results", "ship1", "out.txt");
      await Deno.mkdir(join(file, ".."), { recursive: true });
      await Deno.writeTextFile(file, "earlier line\nfirst result\n");
      const journal = join(central.dir, "var", "store_journal.log");
      // Written as the agent writes them (each line authenticated with its journal key), then a
      // line torn by the crash.
      const writer = StoreJournal.open(journal, await loadJournalKey(join(central.dir, "etc")));
      writer.note(store("0mwx1aaaa0000000aaaa", "first result\n"));
      writer.note(store("0mwx1bbbb0000000bbbb", "second\n"));
      writer.note(store("0mwx1cccc0000000cccc", "first result\n"));
      writer.place("0mwx1aaaa0000000aaaa", file, 13, 13);
      writer.place("0mwx1bbbb0000000bbbb", file, 26, 7);
      writer.place("0mwx1cccc0000000cccc", file, 33, 13);
      writer.close();
      await Deno.writeTextFile(journal, '{"torn":', { append: true });
      await central.restart();
      const expected = "earlier line\nfirst result\nsecond\nfirst result\n";
      assertEquals(await readOr(file), expected);
      // Marked done, the lines are dropped: the journal is emptied.
      await waitFor(async () => (await Deno.stat(journal)).size === 0, 10_000, "journal emptied");
      // A second start finds nothing left to do.
      await central.kill9();
      await central.restart();
      assertEquals(await readOr(file), expected);
    } finally {
      await fleet.stop();
    }
  },
);
