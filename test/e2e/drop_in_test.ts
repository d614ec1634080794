/**
 * End-to-end tests of issue 18: a user of the original moves their message files, config and
 * habits over. Written from the seed README's wording and examples, with a real nats-server
 * and real agent processes.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Agent, Fleet, freePort, readOr, waitFor } from "../harness.ts";
import type { Acl } from "../../src/security/acl.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const HARMLESS = {
  from: ["*"],
  methods: ["REQToFile", "REQToFileAppend", "REQToConsole", "REQHello", "REQErrorLog", "REQPing"],
};

/** Starts `name` in a folder prepared by `prepare` (config file, ACL) before its first start. */
async function startPrepared(
  fleet: Fleet,
  name: string,
  prepare: (dir: string) => Promise<void>,
): Promise<Agent> {
  const dir = await Deno.makeTempDir({ prefix: `steward-${name}-` });
  await Deno.mkdir(join(dir, "etc"));
  await prepare(dir);
  const agent = await Agent.start(name, { dir, broker: fleet.broker.address });
  fleet.agents.set(name, agent);
  return agent;
}

/** Waits until `path` matches `pattern`, and returns its text. */
function waitForText(path: string, pattern: RegExp, what: string): Promise<string> {
  return waitFor(
    async () => {
      const text = await readOr(path);
      return pattern.test(text) ? text : "";
    },
    20_000,
    what,
  );
}

Deno.test(
  "message fields in the seed's spellings (MethodArgs, MethodTimeout…) are taken in any case; " +
    "unknown and doubled fields, [] and a command without methodArgs are answered by name",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      // The example, as the original's decoder reads it.
      const [list] = await central.send([{
        toNode: "central",
        method: "REQOpProcessList",
        MethodTimeout: 10,
        directory: "ps",
        fileName: "ps.result",
      }]);
      assertEquals(list.status, "accepted", JSON.stringify(list));
      await waitForText(central.file("ps", "central", "ps.result"), /"kind"/, "the listing");

      // The seed's field list spells some fields as the Go struct does.
      const [cli] = await central.send(`[{
        "Directory": "cli_command_test", "FileName": "cli_command.result", "ToNode": "ship1",
        "Method": "REQCliCommand", "MethodArgs": ["bash", "-c", "echo drop-in"],
        "ReplyMethod": "REQToFile", "ReplyMethodTimeout": 10, "ACKTimeout": 3, "Retries": 3,
        "MethodTimeout": 10
      }]`);
      assertEquals(cli.status, "accepted", JSON.stringify(cli));
      assertEquals(
        await waitForText(
          central.file("cli_command_test", "ship1", "cli_command.result"),
          /./,
          "out",
        ),
        "drop-in\n",
      );

      const refused = await central.send(`[
        {"toNode": "ship1", "method": "REQPing", "MethodTimeOuts": 10},
        {"toNode": "ship1", "method": "REQPing", "methodTimeout": 1, "MethodTimeout": 2},
        {"toNode": "ship1", "method": "REQPing", "__proto__": {"toNodes": ["central"]}},
        {"toNode": "ship1", "method": "REQCliCommand", "directory": "d", "fileName": "f"}
      ]`);
      assertEquals(refused.map((a) => [a.status, a.error]), [
        ["rejected", 'unknown field: "MethodTimeOuts"'],
        [
          "rejected",
          'ambiguous fields: "methodTimeout" and "MethodTimeout" both name methodTimeout',
        ],
        ["rejected", 'unknown field: "__proto__"'],
        [
          "rejected",
          "methodArgs: REQCliCommand needs methodArgs[0] (the command to run); got none",
        ],
      ]);
      assertEquals(await central.send("[]"), [
        { status: "rejected", error: "the input held no message (an empty array)" },
      ]);
      // Nothing of it crashed the agent: it still answers.
      const [ping] = await central.send([{ toNode: "ship1", method: "REQPing" }]);
      assertEquals(ping.status, "accepted");
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "the config file's keys are read in any case, by the agent and by its sandbox",
  opts,
  async () => {
    const fleet = await Fleet.start(["central"]);
    try {
      const port = freePort();
      // Only the config file names the metrics port, and an ACL with no hosts narrows the
      // network grant: the sandbox must read that port from the file too.
      await startPrepared(fleet, "ship1", async (dir) => {
        const acl: Acl = { version: 1, rules: [HARMLESS] };
        await Deno.writeTextFile(join(dir, "etc", "acl.json"), JSON.stringify(acl));
        await Deno.writeTextFile(
          join(dir, "etc", "config.json"),
          JSON.stringify({ PromHostAndPort: `127.0.0.1:${port}`, DefaultMessageRetries: 2 }),
        );
      });
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assertMatch(await res.text(), /steward_/);
      const saved = JSON.parse(
        await Deno.readTextFile(
          join(fleet.get("ship1").dir, "etc", "config.json"),
        ),
      );
      assertEquals([saved.promHostAndPort, saved.defaultMessageRetries], [
        `127.0.0.1:${port}`,
        2,
      ]);
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "REQTailFile with the seed's \"./test.log\" tails the file in the agent's working folder",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const ship1 = fleet.get("ship1");
      const log = join(ship1.dir, "test.log"); // The harness runs each agent in its folder.
      await Deno.writeTextFile(log, "before\n");
      // The seed's example, sent from central to ship1.
      const [tail] = await central.send([{
        directory: "./my/log/files/",
        fileName: "some.log",
        toNode: "ship1",
        methodArgs: ["./test.log"],
        method: "REQTailFile",
        ACKTimeout: 5,
        retries: 3,
        methodTimeout: 200,
      }]);
      assertEquals(tail.status, "accepted");
      const file = central.file("my/log/files", "ship1", "some.log");
      // Lines appended once it follows the file reach central; the first may come before.
      await waitFor(
        async () => {
          await Deno.writeTextFile(log, "tailed line\n", { append: true });
          return (await readOr(file)).includes("tailed line\n");
        },
        20_000,
        "a tailed line at central",
      );
      assertEquals(await central.errorLog("ship1"), "");
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "the ACL judges a relative tail path once resolved: '..' and a symbolic link out of an " +
    "allowed folder are refused, and central's error log says which file",
  opts,
  async () => {
    const fleet = await Fleet.start(["central"]);
    try {
      const central = fleet.get("central");
      let logs = "";
      const ship1 = await startPrepared(fleet, "ship1", async (dir) => {
        logs = join(await Deno.realPath(dir), "logs");
        await Deno.mkdir(logs);
        await Deno.writeTextFile(join(dir, "secret.txt"), "secret\n");
        await Deno.writeTextFile(join(logs, "app.log"), "");
        await Deno.symlink(join(dir, "secret.txt"), join(logs, "link.log"));
        const acl: Acl = {
          version: 1,
          rules: [{ from: ["central"], methods: ["REQTailFile"], paths: [logs] }, HARMLESS],
        };
        await Deno.writeTextFile(join(dir, "etc", "acl.json"), JSON.stringify(acl));
      });
      const tail = (path: string, fileName: string) =>
        central.send([{
          toNode: "ship1",
          method: "REQTailFile",
          methodArgs: [path],
          directory: "tails",
          fileName,
          methodTimeout: 60,
          retries: 0,
        }]);
      await tail("./logs/app.log", "app.log");
      await tail("./logs/../secret.txt", "dotdot.log");
      await tail("logs/link.log", "link.log");
      const secret = join(ship1.dir, "secret.txt");
      const errors = await waitFor(
        async () => {
          const text = await central.errorLog("ship1");
          return (text.match(/may not tail/g) ?? []).length >= 2 ? text : "";
        },
        20_000,
        "two tail refusals",
      );
      const refusal = `refused by the ACL (version 1) of ship1: node central may not tail ` +
        JSON.stringify(await Deno.realPath(secret));
      assertEquals(errors.split(refusal).length - 1, 2, errors);
      assert(!errors.includes("app.log"), errors);
      // The allowed file is followed.
      const appLog = join(logs, "app.log");
      await waitFor(
        async () => {
          await Deno.writeTextFile(appLog, "allowed line\n", { append: true });
          return (await readOr(central.file("tails", "ship1", "app.log"))).includes("allowed line");
        },
        20_000,
        "the allowed tail",
      );
      assert(!(await readOr(central.file("tails", "ship1", "link.log"))).includes("secret\n"));
    } finally {
      await fleet.stop();
    }
  },
);

/** The lines of `log` that name message `id`. */
function linesAbout(log: string, id: string): string[] {
  return log.split("\n").filter((l) => l.includes(`id: ${id}`));
}

Deno.test(
  "every method failure on a node reaches central's error log once, with node, method, id " +
    "and reason, besides the error reply to its sender",
  opts,
  async () => {
    const fleet = await Fleet.start(["central"]);
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("no such page\n", { status: 404 }),
    );
    try {
      const central = fleet.get("central");
      await startPrepared(fleet, "ship1", async (dir) => {
        const acl: Acl = {
          version: 1,
          rules: [
            {
              from: ["central"],
              methods: ["*"],
              commands: [{ executable: "*" }],
              paths: ["/"],
              hosts: ["*"],
            },
            { from: ["ship2"], methods: ["REQCliCommand"], commands: [{ executable: "bash" }] },
            HARMLESS,
          ],
        };
        await Deno.writeTextFile(join(dir, "etc", "acl.json"), JSON.stringify(acl));
      });
      const ship2 = await fleet.add("ship2");
      await fleet.introduce();
      const idOf = (answers: { id?: string; status: string }[]) => {
        assertEquals(answers[0]?.status, "accepted", JSON.stringify(answers));
        return answers[0].id!;
      };

      // The case: a command exits non-zero on ship1 for a message from another node.
      const exit = idOf(
        await ship2.send([{
          toNode: "ship1",
          method: "REQCliCommand",
          methodArgs: ["bash", "-c", "echo oops >&2; exit 3"],
          directory: "cmd",
          fileName: "exit.result",
          retries: 3,
        }]),
      );
      const timeout = idOf(
        await central.send([{
          toNode: "ship1",
          method: "REQCliCommand",
          methodArgs: ["sleep", "30"],
          methodTimeout: 1,
          directory: "cmd",
          fileName: "timeout.result",
        }]),
      );
      const http = idOf(
        await central.send([{
          toNode: "ship1",
          method: "REQHttpGet",
          methodArgs: [`http://127.0.0.1:${server.addr.port}/missing`],
          directory: "web",
          fileName: "missing.html",
        }]),
      );
      const refused = idOf(
        await ship2.send([{
          toNode: "ship1",
          method: "REQCliCommand",
          methodArgs: ["ls", "/"],
          directory: "cmd",
          fileName: "refused.result",
          retries: 3,
        }]),
      );
      const reply = await waitForText(
        ship2.file("cmd", "ship1", "exit.result"),
        /ERROR from ship1/,
        "the error reply at the sender",
      );
      assertMatch(reply, /ERROR from ship1 \(REQCliCommand \S+\): bash exited with code 3: oops/);

      const expected: [string, RegExp][] = [
        [
          exit,
          /fromNode: ship2, method: REQCliCommand, id: \S+: REQCliCommand failed: bash exited with code 3: oops/,
        ],
        [
          timeout,
          /fromNode: central, method: REQCliCommand, id: \S+: REQCliCommand failed: .*methodTimeout/,
        ],
        [http, /fromNode: central, method: REQHttpGet, id: \S+: REQHttpGet failed: .*404/],
        [
          refused,
          /fromNode: ship2, method: REQCliCommand, id: \S+: refused: .*may not run \["ls","\/"\]/,
        ],
      ];
      for (const [id, pattern] of expected) {
        const lines = await waitFor(
          async () => {
            const found = linesAbout(await central.errorLog("ship1"), id);
            return found.length > 0 ? found : undefined;
          },
          20_000,
          `central's error line about ${id}`,
        );
        assertMatch(lines[0], /error: node: ship1, toNode: ship1, /);
        assertMatch(lines[0], pattern);
      }

      // A failure reported after all of these, on the same path: any second report of the
      // ones above would have come before it.
      const last = idOf(
        await central.send([{
          toNode: "ship1",
          method: "REQCliCommand",
          methodArgs: ["false"],
          directory: "cmd",
          fileName: "last.result",
        }]),
      );
      await waitFor(
        async () => linesAbout(await central.errorLog("ship1"), last).length > 0,
        20_000,
        "the last failure at central",
      );
      const log = await central.errorLog("ship1");
      for (const [id] of expected) assertEquals(linesAbout(log, id).length, 1, `${id}:\n${log}`);
      // Undeliverable: the sender reports it after its last retry, once.
      const down = idOf(
        await ship2.send([{ toNode: "ship9", method: "REQPing", ACKTimeout: 1, retries: 2 }]),
      );
      const ship2Log = await waitFor(
        async () => {
          const text = await central.errorLog("ship2");
          return linesAbout(text, down).length > 0 ? text : "";
        },
        20_000,
        "max retries at central",
      );
      assertEquals(linesAbout(ship2Log, down).length, 1, ship2Log);
      assertMatch(linesAbout(ship2Log, down)[0], /method: REQPing, id: \S+: max retries reached/);
    } finally {
      await server.shutdown();
      await fleet.stop();
    }
  },
);
