import { assert, assertEquals, assertRejects } from "../../test/assert.ts";
import { inputMessageSchema } from "../message/schema.ts";
import { InvalidMessageError } from "./errors.ts";
import { chainCli, toConsole, toFile, toFileAppend } from "./reply_target.ts";
import { to, toNodes } from "./target.ts";

Deno.test("to().cli() with a string runs it with bash -c; with an array it is the argv", () => {
  assertEquals(to("ship1").cli("tree").reply(toFile("out")).toJSON(), {
    toNode: "ship1",
    method: "REQCliCommand",
    methodArgs: ["bash", "-c", "tree"],
    replyMethod: "REQToFile",
    replyMethodArgs: [],
    directory: "",
    fileName: "out",
  });
  assertEquals(to("ship1").cli(["ls", "-l"]).toJSON().methodArgs, ["ls", "-l"]);
});

Deno.test("toNodes().httpGet().timeout() gives the seed's fields", () => {
  assertEquals(
    toNodes(["ship1", "ship2"]).httpGet("https://example.org").timeout({
      ack: 5,
      retries: 3,
      method: 10,
      replyAck: 4,
      replyRetries: 2,
      replyMethod: 6,
    }).toJSON(),
    {
      toNodes: ["ship1", "ship2"],
      method: "REQHttpGet",
      methodArgs: ["https://example.org/"],
      ACKTimeout: 5,
      retries: 3,
      methodTimeout: 10,
      replyACKTimeout: 4,
      replyRetries: 2,
      replyMethodTimeout: 6,
    },
  );
});

Deno.test("tail().for() sets methodTimeout and toFileAppend() splits directory and file", () => {
  const m = to("ship2").tail("/var/log/syslog").for(60).reply(toFileAppend("logs/syslog.log"));
  assertEquals(m.toJSON(), {
    toNode: "ship2",
    method: "REQTailFile",
    methodArgs: ["/var/log/syslog"],
    methodTimeout: 60,
    replyMethod: "REQToFileAppend",
    replyMethodArgs: [],
    directory: "logs",
    fileName: "syslog.log",
  });
  assertEquals(m.streaming, true);
  assertEquals(to("ship1").cliCont("vmstat 1").streaming, true);
  assertEquals(to("ship1").cli("x").streaming, false);
});

Deno.test("every builder method produces a message the agent's schema accepts", () => {
  const t = to("ship1");
  const all = [
    t.cli("tree"),
    t.cliCont(["vmstat", "1"]).for(5),
    t.tail("/tmp/x"),
    t.httpGet(new URL("http://127.0.0.1:8080/a")),
    t.ping(),
    t.processes().reply(toConsole()),
    t.startProcess("REQHttpGet"),
    t.stopProcess({ method: "REQHttpGet", id: 199 }),
    t.opCommand({ opCmd: "startProc", opArg: { method: "REQCliCommand", allowedNodes: ["a"] } }),
    t.cli("tree").reply(chainCli('echo "{{STEWARD_DATA}}" > x.txt', { timeout: 10 })),
  ];
  for (const m of all) {
    const json = JSON.parse(JSON.stringify(m));
    assert(inputMessageSchema.safeParse(json).success, JSON.stringify(json));
  }
  assertEquals(all[7].toJSON().methodArgs, ["REQHttpGet", "ship1", "subscriber", "199"]);
  assertEquals(all[9].toJSON().replyMethodArgs, ["bash", "-c", 'echo "{{STEWARD_DATA}}" > x.txt']);
  assertEquals(all[9].toJSON().replyMethodTimeout, 10);
});

Deno.test("builders are immutable: each step returns a new request", () => {
  const base = to("ship1").cli("uptime");
  const saved = base.reply(toFile("a/b.txt"));
  const patient = base.timeout({ ack: 30 });
  assert(base !== saved && base !== patient);
  assertEquals(base.toJSON().replyMethod, undefined);
  assertEquals(base.toJSON().ACKTimeout, undefined);
  assertEquals(saved.toJSON().ACKTimeout, undefined);
  assert(Object.isFrozen(base));
  const json = base.toJSON();
  json.methodArgs?.push("changed");
  assertEquals(base.toJSON().methodArgs, ["bash", "-c", "uptime"]);
});

Deno.test("invalid values throw InvalidMessageError before anything is sent", async () => {
  const cases: [() => unknown, RegExp][] = [
    [() => to("ship.1"), /Invalid node name "ship\.1": must be 1-128 letters/],
    [() => toNodes([]), /at least one node/],
    [() => toNodes(["ok", "not ok"]), /Invalid node name "not ok"/],
    [() => to("ship1").cli("x").timeout({ ack: -1 }), /ACKTimeout: must not be negative/],
    [() => to("ship1").cli("x").timeout({ retries: 1.5 }), /retries: must be a whole number/],
    [() => to("ship1").tail("/x").for(-5), /methodTimeout: must not be negative/],
    [() => to("ship1").cli(""), /cli: the command is empty/],
    [() => to("ship1").cli([]), /needs at least the program name/],
    [() => to("ship1").httpGet("ftp://x"), /only http and https/],
    [() => to("ship1").httpGet("not a url"), /is not a URL/],
    [() => toFile("../../etc/passwd"), /".." is not allowed/],
    [() => toFileAppend("logs/"), /expected a file path/],
    [() => toNodes(["a", "b"]).stopProcess({ method: "REQPing", id: 1 }), /which node/],
    [() => to("ship1").copy(""), /copy: give the path/],
    [() => to("ship1").copy("/a").to("bad name", "b"), /copy: invalid node name/],
    [() => to("ship1").copy("/a").to("central", "b", { chunkBytes: 0 }), /chunkBytes must be/],
    [() => to("ship1").copy("/a").to("central", "b", { folderMode: "rw" }), /must be octal/],
  ];
  for (const [fn, pattern] of cases) {
    const err = await assertRejects(fn, pattern);
    assert(err instanceof InvalidMessageError, `${err.name}: ${err.message}`);
  }
});

Deno.test("copy().to() makes a REQCopySrc with the copy's options in methodArgs", () => {
  const m = to("ship1").copy("/var/log/app.log").to("central", "logs/ship1.log", {
    chunkBytes: 65536,
    maxBytesPerSecond: 1000,
    folderMode: "0750",
    keepOwner: true,
  }).toJSON();
  assertEquals(m.method, "REQCopySrc");
  assertEquals(m.methodArgs, [
    "/var/log/app.log",
    "central",
    "logs/ship1.log",
    "65536",
    "1000",
    "0750",
    "owner",
  ]);
  assertEquals(
    to("ship1").copy("/a").to("central", "b").toJSON().methodArgs,
    ["/a", "central", "b", "", "", "", ""],
  );
});
