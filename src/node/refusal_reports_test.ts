import { assertEquals } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import { refusalReason, RefusalReports } from "./refusal_reports.ts";

Deno.test("refusalReason() sorts refusals into a bounded set of reasons", () => {
  assertEquals(
    [
      "message on a.b.c is not valid JSON: x",
      "message 1 (REQPing) from evil is not signed",
      "a chunk came without its seal (unsigned)",
      "message 1 (REQPing) from x refused: no trusted key for node x (not approved by central)",
      "message 1 (REQPing) from x refused: its signature does not match its content and …",
      "message 1 refused as a replay: signed 400.0 s ago",
      "node x is not allowed to use REQCliCommand on ship1",
      "message 1 is for ship2, received by ship1",
      "message 1 of 9000000 bytes exceeds the maxMessageSize of 8388608 bytes",
      "subscriber error: boom",
    ].map(refusalReason),
    [
      "malformed",
      "unsigned",
      "unsigned",
      "unknown_key",
      "bad_signature",
      "replay",
      "not_allowed",
      "misaddressed",
      "too_large",
      "other",
    ],
  );
});

Deno.test("RefusalReports folds identical refusals and sums up those past the line limit", () => {
  const lines: string[] = [];
  const reports = new RefusalReports({ report: (t) => lines.push(t), linesPerWindow: 2 });
  const m = testMessage({ id: "0000000001aaaa" });
  for (let i = 0; i < 3; i++) reports.refused("refused: x is not signed", m);
  reports.refused("refused: y is not valid JSON");
  for (let i = 0; i < 1000; i++) reports.refused(`refused: message ${i} is not signed`);
  reports.refused("refused: z as a replay");
  assertEquals(lines, ["refused: x is not signed", "refused: y is not valid JSON"]);
  reports.flush();
  assertEquals(lines.slice(2), [
    "refused: x is not signed (2 more times in the last 1 s)",
    "refused: 1001 more refused messages in the last 1 s, not reported one by one " +
    "(unsigned 1000, replay 1)",
  ]);
  // A new window reports again.
  reports.refused("refused: y is not valid JSON");
  assertEquals(lines.length, 5);
  reports.flush();
  assertEquals(lines.length, 5);
});

Deno.test("RefusalReports folds refusals equal but for their message ids", () => {
  const lines: string[] = [];
  const reports = new RefusalReports({ report: (t) => lines.push(t) });
  for (const id of ["0mx4waehu0000061gzsb", "0mx4wafbv00001hnd9s8", "0mx4waek1000007matjd"]) {
    reports.refused(`message ${id} (REQErrorLog) from ship1 refused: no trusted key`);
  }
  reports.flush();
  assertEquals(lines, [
    "message 0mx4waehu0000061gzsb (REQErrorLog) from ship1 refused: no trusted key",
    "message … (REQErrorLog) from ship1 refused: no trusted key (2 more times in the last 1 s)",
  ]);
});
