import { assertEquals, assertMatch } from "../../test/assert.ts";
import {
  describeIssues,
  inputMessageSchema,
  nodeNameProblem,
  normalizeSpellings,
} from "./schema.ts";

const parse = (raw: unknown) => inputMessageSchema.safeParse(normalizeSpellings(raw));

Deno.test("inputMessageSchema accepts the seed's examples with their spellings", () => {
  const r = parse({
    directory: "cli_command_test",
    fileName: "cli_command.result",
    toNode: "ship2",
    method: "REQnCliCommand",
    methodArgs: ["bash", "-c", "tree"],
    replyMethod: "REQCliCommand",
    replyMethodArgs: ["bash", "-c", "echo {{STEWARD_DATA}}"],
    replyMethodTimeOut: 10,
    ACKTimeout: 3,
    retries: 3,
    methodTimeout: 10,
    data: [],
  });
  assertEquals(r.success, true);
  if (!r.success) return;
  assertEquals(r.data.method, "REQCliCommand");
  assertEquals(r.data.replyMethodTimeout, 10);
  assertEquals(r.data.data, "");
});

Deno.test("inputMessageSchema names the offending field", () => {
  const cases: [unknown, RegExp][] = [
    [{ method: "REQPing" }, /^toNode: toNode or toNodes is required$/],
    [{ toNode: "a b", method: "REQPing" }, /^toNode: must be/],
    [{ toNode: "a", method: "REQPing", retries: 1.5 }, /^retries: must be a whole number/],
    [{ toNode: "a", method: "REQPing", methodArgs: "ls" }, /^methodArgs: /],
    [{ toNode: "a", method: "REQPing", extra: 1 }, /unknown field.*extra/],
    [{ toNodes: [], method: "REQPing" }, /^toNodes: must name at least one node/],
    [{ toNode: "a" }, /^method: /],
  ];
  for (const [raw, pattern] of cases) {
    const r = parse(raw);
    assertEquals(r.success, false, JSON.stringify(raw));
    if (!r.success) assertMatch(describeIssues(r.error.issues), pattern, JSON.stringify(raw));
  }
});

Deno.test("node names: NATS's reserved names (_ or $ first) are refused in toNode and toNodes", () => {
  for (const name of ["_INBOX", "$SYS", "$JS", "$KV", "$O", "_", "_x", "$"]) {
    assertMatch(nodeNameProblem(name) ?? "", /reserved/, name);
    const one = parse({ toNode: name, method: "REQPing" });
    assertEquals(one.success, false, name);
    if (!one.success) assertMatch(describeIssues(one.error.issues), /^toNode: reserved/);
    const many = parse({ toNodes: ["ship1", name], method: "REQPing" });
    assertEquals(many.success, false, name);
    if (!many.success) assertMatch(describeIssues(many.error.issues), /^toNodes\.1: reserved/);
  }
  for (const name of ["ship1", "a_b", "x-_", "INBOX", "SYS", "a"]) {
    assertEquals(nodeNameProblem(name), undefined, name);
  }
  assertMatch(nodeNameProblem("ship.1") ?? "", /must be 1-128 letters/);
  assertMatch(nodeNameProblem("") ?? "", /must be 1-128 letters/);
});
