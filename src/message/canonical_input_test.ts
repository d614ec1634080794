import { assertEquals, assertMatch } from "../../test/assert.ts";
import { canonicalInput } from "./canonical_input.ts";
import { describeIssues, inputMessageSchema } from "./schema.ts";

/** What intake does with one element of an input array. */
function check(raw: unknown): string | "ok" {
  const canonical = canonicalInput(raw);
  if ("error" in canonical) return canonical.error;
  const r = inputMessageSchema.safeParse(canonical.value);
  return r.success ? "ok" : describeIssues(r.error.issues);
}

Deno.test("canonicalInput() takes the seed's field list spelled as its Go structs are", () => {
  // The seed's field explanation spells these with a capital: MethodArgs, ReplyMethodArgs,
  // ReplyMethodTimeout; Go's decoder matches keys in any case.
  const raw = {
    ToNode: "ship2",
    Method: "REQnCliCommand",
    MethodArgs: ["bash", "-c", "tree"],
    ReplyMethod: "REQCliCommand",
    ReplyMethodArgs: ["bash", "-c", 'echo "{{STEWARD_DATA}}"'],
    ReplyMethodTimeout: 10,
    ackTimeout: 3,
    Retries: 3,
    MethodTimeout: 10,
    Directory: "d",
    FILENAME: "f",
  };
  const canonical = canonicalInput(raw);
  if ("error" in canonical) throw new Error(canonical.error);
  const r = inputMessageSchema.parse(canonical.value);
  assertEquals(r.method, "REQCliCommand");
  assertEquals(r.methodArgs, ["bash", "-c", "tree"]);
  assertEquals(r.replyMethodTimeout, 10);
  assertEquals(r.ACKTimeout, 3);
  assertEquals(r.fileName, "f");
});

Deno.test("canonicalInput(): the issue's example is accepted", () => {
  assertEquals(check({ toNode: "central", method: "REQOpProcessList", MethodTimeout: 10 }), "ok");
});

Deno.test("canonicalInput(): an unknown field is still refused by name", () => {
  assertMatch(check({ toNode: "a", method: "REQPing", MethodTimeOuts: 1 }), /MethodTimeOuts/);
  assertMatch(check({ toNode: "a", method: "REQPing", __proto__x: 1 }), /__proto__x/);
});

Deno.test("canonicalInput(): two spellings of one field are ambiguous", () => {
  assertEquals(
    check({ toNode: "a", method: "REQPing", methodTimeout: 1, METHODTIMEOUT: 2 }),
    'ambiguous fields: "methodTimeout" and "METHODTIMEOUT" both name methodTimeout',
  );
  // An alias and the field it stands for also name one field.
  assertMatch(check({ toNodes: ["a"], toHosts: ["b"], method: "REQPing" }), /^ambiguous/);
  assertMatch(
    check({ toNode: "a", replyMethodTimeOut: 1, replyMethodTimeout: 2, method: "REQPing" }),
    /^ambiguous/,
  );
});

Deno.test("canonicalInput(): operation's fields are matched in any case too", () => {
  const op = {
    toNode: "ship2",
    method: "REQOpCommand",
    Operation: { OpCmd: "stopProc", OPARG: { Method: "REQHttpGet", KIND: "subscriber" } },
  };
  assertEquals(check(op), "ok");
});

Deno.test("canonicalInput(): __proto__ and constructor keys do nothing but get refused", () => {
  for (
    const text of [
      '{"toNode":"a","method":"REQPing","__proto__":{"toNodes":["b"]}}',
      '{"TONODE":"a","method":"REQPing","__proto__":{"retries":1}}',
      '{"toNode":"a","method":"REQPing","constructor":1}',
      '{"toNode":"a","method":"constructor"}',
    ]
  ) {
    const verdict = check(JSON.parse(text));
    assertEquals(verdict === "ok", text.endsWith('"constructor"}'), text);
    if (verdict !== "ok") assertMatch(verdict, /__proto__|constructor/, text);
  }
  // A method named "constructor" passes the schema (a string); intake refuses it as unknown.
  const c = canonicalInput(JSON.parse('{"toNode":"a","method":"constructor"}'));
  assertEquals("value" in c && (c.value as { method: unknown }).method, "constructor");
});

Deno.test("canonicalInput(): fields the agent stamps stay refused in every spelling", () => {
  for (const field of ["fromNode", "FromNode", "ID", "isReply", "Signature", "previousMessage"]) {
    assertMatch(
      check({ toNode: "a", method: "REQPing", [field]: "x" }),
      new RegExp(`unknown field: "${field}"`),
      field,
    );
  }
});
