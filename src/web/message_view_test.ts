import { assertEquals } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import { type AuditEntry, messageView, type ReplySeen } from "./message_view.ts";

function published(id: string, time: string, toNode = "ship1"): AuditEntry {
  return {
    time,
    event: "published",
    subject: `${toNode}.REQCliCommand`,
    message: { id, toNode, fromNode: "central", method: "REQCliCommand" },
  };
}
function outcome(id: string, event: string, detail?: string): AuditEntry {
  return {
    time: "2026-12-01T10:00:09Z",
    event,
    subject: "ship1.REQCliCommand",
    detail,
    message: { id },
  };
}
function reply(id: string, ok: boolean, last: boolean, error?: string): ReplySeen {
  return {
    id,
    node: "ship1",
    method: "REQCliCommand",
    ok,
    last,
    at: 0,
    ...(error ? { error } : {}),
  };
}

const audit = [
  published("p", "2026-12-01T10:00:01Z"),
  published("a", "2026-12-01T10:00:02Z"),
  outcome("a", "delivered"),
  published("x", "2026-12-01T10:00:03Z"),
  outcome("x", "delivered"),
  published("r", "2026-12-01T10:00:04Z"),
  outcome("r", "delivered"),
  published("f", "2026-12-01T10:00:05Z"),
  outcome("f", "failed", "max retries reached"),
  published("e", "2026-12-01T10:00:06Z", "ship2"),
  outcome("e", "delivered"),
];
const inflight = [
  testMessage({ id: "w", toNode: "ship2", createdAt: Date.parse("2026-12-01T10:00:07Z") }),
  // Published and still in flight: the audit says how far it got.
  testMessage({ id: "p", createdAt: Date.parse("2026-12-01T10:00:01Z") }),
];
const replies = [
  reply("x", true, false),
  reply("r", true, true),
  reply("e", false, true, "ls exited with code 2"),
];

Deno.test("messageView() gives each message its furthest state, newest first", () => {
  const rows = messageView({ audit, inflight, replies });
  assertEquals(rows.map((r) => [r.id, r.state]), [
    ["w", "waiting"],
    ["e", "failed"],
    ["f", "failed"],
    ["r", "replied"],
    ["x", "executed"],
    ["a", "ACKed"],
    ["p", "published"],
  ]);
  assertEquals(rows[1].detail, "ls exited with code 2");
  assertEquals(rows[2].detail, "failed: max retries reached");
  assertEquals([rows[0].toNode, rows[0].method], ["ship2", "REQPing"]);
});

Deno.test("messageView() filters by state and text, and keeps the newest `limit`", () => {
  const facts = { audit, inflight, replies };
  assertEquals(messageView(facts, { state: "failed" }).map((r) => r.id), ["e", "f"]);
  assertEquals(messageView(facts, { text: "SHIP2" }).map((r) => r.id), ["w", "e"]);
  assertEquals(messageView(facts, { text: "max retries" }).map((r) => r.id), ["f"]);
  assertEquals(messageView(facts, { limit: 2 }).map((r) => r.id), ["w", "e"]);
});

Deno.test("messageView() keeps a failure when a late outcome or reply follows it", () => {
  const rows = messageView({
    audit: [published("f", "2026-12-01T10:00:05Z"), outcome("f", "refused", "not allowed")],
    inflight: [],
    replies: [reply("f", true, true)],
  });
  assertEquals([rows[0].state, rows[0].detail], ["failed", "refused: not allowed"]);
});

Deno.test("messageView() shows an outcome whose published line rotated away by its subject", () => {
  const rows = messageView({ audit: [outcome("old", "delivered")], inflight: [], replies: [] });
  assertEquals([rows[0].toNode, rows[0].method, rows[0].state], [
    "ship1",
    "REQCliCommand",
    "ACKed",
  ]);
});
