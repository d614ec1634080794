import { assert, assertEquals, assertRejects } from "../../test/assert.ts";
import { InvalidMessageError } from "./errors.ts";
import { Request, type SeedMessage } from "./request.ts";

/** A seed message as a file of the original holds it: read as JSON, not type-checked. */
const fromFile = (text: string) => JSON.parse(text) as SeedMessage;

Deno.test("Request takes a seed message's fields in any letter case and keeps them canonical", () => {
  const seed = fromFile(`{
    "directory": "cli_command_test", "fileName": "cli_command.result", "ToNode": "ship2",
    "Method": "REQCliCommand", "MethodArgs": ["bash", "-c", "tree"],
    "ReplyMethod": "REQToFileAppend", "ReplyMethodTimeout": 10, "ACKTIMEOUT": 3
  }`);
  const request = new Request(seed, false);
  assertEquals(request.targets, ["ship2"]);
  assertEquals(request.method, "REQCliCommand");
  assertEquals(request.toJSON(), {
    directory: "cli_command_test",
    fileName: "cli_command.result",
    toNode: "ship2",
    method: "REQCliCommand",
    methodArgs: ["bash", "-c", "tree"],
    replyMethod: "REQToFileAppend",
    replyMethodTimeout: 10,
    ACKTimeout: 3,
  });
});

Deno.test("Request refuses two spellings of one field, and unknown fields, by name", async () => {
  const cases: [string, RegExp][] = [
    [
      '{"toNode":"ship1","method":"REQPing","retries":1,"Retries":2}',
      /ambiguous fields: "retries" and "Retries" both name retries/,
    ],
    ['{"toNode":"ship1","method":"REQPing","Retry":1}', /unknown field: "Retry"/],
    ['{"toNode":"ship1","method":"REQPing","__proto__":{"x":1}}', /unknown field: "__proto__"/],
  ];
  for (const [text, pattern] of cases) {
    const err = await assertRejects(() => new Request(fromFile(text), false), pattern);
    assert(err instanceof InvalidMessageError, err.message);
  }
});
