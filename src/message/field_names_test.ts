import { assertEquals } from "../../test/assert.ts";
import { FieldSpelling } from "./field_names.ts";

const spelling = new FieldSpelling({
  names: ["toNode", "methodArgs", "operation"],
  aliases: { toHosts: "toNodes" },
  nested: { operation: { names: ["opCmd"] } },
});

Deno.test("FieldSpelling.canonical() renames known fields given in any letter case", () => {
  assertEquals(
    spelling.canonical({ TONODE: "ship1", MethodArgs: ["ls"], Operation: { OPCMD: "ps" } }),
    { value: { toNode: "ship1", methodArgs: ["ls"], operation: { opCmd: "ps" } } },
  );
});

Deno.test("FieldSpelling.canonical() returns the very object when every name is canonical", () => {
  const given = { toNode: "ship1", methodArgs: [], operation: { opCmd: "ps" } };
  const result = spelling.canonical(given);
  assertEquals("value" in result && result.value === given, true);
});

Deno.test("FieldSpelling.canonical() keeps unknown keys for the schema to refuse", () => {
  assertEquals(spelling.canonical({ toNode: "a", Extra: 1 }), {
    value: { toNode: "a", Extra: 1 },
  });
});

Deno.test("FieldSpelling.canonical() refuses two spellings of one field as ambiguous", () => {
  assertEquals(spelling.canonical({ methodArgs: ["a"], METHODARGS: ["b"] }), {
    error: 'ambiguous fields: "methodArgs" and "METHODARGS" both name methodArgs',
  });
  assertEquals(spelling.canonical({ operation: { opCmd: "ps", OpCmd: "stopProc" } }), {
    error: 'ambiguous fields in operation: "opCmd" and "OpCmd" both name opCmd',
  });
});

Deno.test("FieldSpelling.canonical() matches aliases in any case too", () => {
  assertEquals(spelling.canonical({ TOHOSTS: ["a"] }), { value: { toNodes: ["a"] } });
});

Deno.test("FieldSpelling.canonical() folds ASCII letters only: look-alikes stay unknown", () => {
  // U+212A KELVIN SIGN lowercases to "k" in Unicode; it must not become a known field.
  const spellingK = new FieldSpelling({ names: ["key"] });
  assertEquals(spellingK.canonical({ "\u212Aey": 1 }), { value: { "\u212Aey": 1 } });
});

Deno.test("FieldSpelling.canonical() keeps __proto__ and constructor as plain own keys", () => {
  // JSON.parse makes "__proto__" an own key; a renaming pass must not turn it into a prototype.
  const raw = JSON.parse('{"TONODE":"a","__proto__":{"methodArgs":["x"]},"Constructor":1}');
  const out = spelling.canonical(raw);
  if (!("value" in out)) throw new Error(out.error);
  const value = out.value as Record<string, unknown>;
  assertEquals(value.toNode, "a");
  assertEquals(Object.getPrototypeOf(value), Object.prototype);
  assertEquals(value.methodArgs, undefined, "nothing inherited from a __proto__ key");
  assertEquals(Object.keys(value).sort(), ["Constructor", "__proto__", "toNode"]);
});

Deno.test("FieldSpelling.canonical() passes values that are not objects through", () => {
  for (const v of [null, 1, "x", [1]]) assertEquals(spelling.canonical(v), { value: v });
});
