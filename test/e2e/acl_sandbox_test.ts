import { connect } from "npm:@nats-io/transport-node@3.4.0";
import { join } from "node:path";
import { assertEquals, assertMatch } from "../assert.ts";
import { Agent, delay, Fleet, readOr, waitFor } from "../harness.ts";
import { signedBy } from "../pki.ts";
import { testMessage } from "../message_fixture.ts";
import type { Acl } from "../../src/security/acl.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const HARMLESS = {
  from: ["*"],
  methods: ["REQToFile", "REQToFileAppend", "REQToConsole", "REQHello", "REQErrorLog", "REQPing"],
};

async function sendAcl(central: Agent, node: string, acl: Acl): Promise<void> {
  await central.send({
    toNode: node,
    method: "REQAclUpdate",
    data: JSON.stringify(acl),
    directory: "acl",
    fileName: "acl.log",
  });
}

async function waitForText(path: string, pattern: RegExp, what: string): Promise<string> {
  try {
    return await waitFor(
      async () => {
        const t = await readOr(path);
        return pattern.test(t) ? t : "";
      },
      20_000,
      what,
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; ${path} holds ${JSON.stringify(await readOr(path))}`,
    );
  }
}

Deno.test(
  "ACL: by default only central runs commands; another node is refused, reported, nothing runs",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1", "ship2"]);
    try {
      // ship1 must trust ship2's key, so that what stops ship2 is the ACL, not its signature.
      await fleet.introduce();
      const [central, ship1, ship2] = ["central", "ship1", "ship2"].map((n) => fleet.get(n));
      const marker = join(ship1.dir, "marker.txt");
      await ship2.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["bash", "-c", `echo ran > ${marker}`],
        ACKTimeout: 2,
        retries: 1,
      });
      const refusal =
        "refused by the ACL \\(version 0\\) of ship1: node ship2 may not call REQCliCommand";
      // The receiver reports it, and so does the sender (its message was refused).
      await waitFor(
        async () => new RegExp(refusal).test(await central.errorLog("ship1")),
        15_000,
        "ship1's report",
      );
      await waitFor(
        async () => new RegExp(refusal).test(await central.errorLog("ship2")),
        15_000,
        "ship2's report",
      );
      assertEquals(await readOr(marker), "");
      // Central may.
      await central.send({ toNode: "ship1", method: "REQCliCommand", methodArgs: ["echo", "ok"] });
      await waitFor(() => readOr(central.file("", "ship1", "REQCliCommand.result")), 15_000);
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "ACL: central's update is answered with its version, limits commands and tail paths, " +
    "survives a restart; a stale update is refused",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const ship1 = fleet.get("ship1");
      const logs = join(ship1.dir, "logs");
      const acl: Acl = {
        version: 1,
        rules: [
          {
            from: ["central"],
            methods: ["REQCliCommand", "REQTailFile"],
            commands: [{ executable: "echo", args: ["hello|world"] }],
            paths: [logs],
          },
          HARMLESS,
        ],
      };
      await sendAcl(central, "ship1", acl);
      const answers = central.file("acl", "ship1", "acl.log");
      await waitForText(answers, /ACL version 1 in force on ship1/, "ACL v1");
      const marker = join(ship1.dir, "marker.txt");
      const run = async (methodArgs: string[], fileName: string) => {
        await central.send({
          toNode: "ship1",
          method: "REQCliCommand",
          methodArgs,
          directory: "cmd",
          fileName,
          ACKTimeout: 2,
          retries: 0,
        });
      };
      await run(["echo", "hello"], "ok.txt");
      assertEquals(await waitFor(() => readOr(central.file("cmd", "ship1", "ok.txt"))), "hello\n");
      await run(["bash", "-c", `echo ran > ${marker}`], "no.txt");
      await run(["echo", "goodbye"], "no.txt");
      const log = await waitFor(
        async () => {
          const l = await central.errorLog("ship1");
          return /"goodbye"/.test(l) && /"bash"/.test(l) ? l : "";
        },
        15_000,
        "refusals",
      );
      assertMatch(
        log,
        /refused by the ACL \(version 1\) of ship1: node central may not run \["echo","goodbye"\]/,
      );
      // A relative path is resolved in ship1's working folder first: this one leads out of logs.
      for (const path of ["/etc/passwd", `${logs}/../../../../etc/passwd`, "logs/../x"]) {
        await central.send({ toNode: "ship1", method: "REQTailFile", methodArgs: [path] });
      }
      await waitFor(
        async () => {
          const l = await central.errorLog("ship1");
          return (l.match(/may not tail/g) ?? []).length >= 3;
        },
        15_000,
        "tail refusals",
      );
      assertEquals(await readOr(marker), "");

      // A stale or equal version is refused, and the reply says which version stays.
      await sendAcl(central, "ship1", { version: 1, rules: [] });
      await waitForText(
        central.file("acl", "ship1", "acl.log"),
        /ACL update refused: ACL version 1 is not newer than version 1 in force; ACL version 1 stays in force on ship1/,
        "stale ACL refusal",
      );
      // The last good ACL is kept across a restart.
      await ship1.stop();
      await ship1.restart();
      assertEquals(
        JSON.parse(await Deno.readTextFile(join(ship1.dir, "etc", "acl.json"))).version,
        1,
      );
      await run(["echo", "world"], "ok.txt");
      await waitFor(
        async () => (await readOr(central.file("cmd", "ship1", "ok.txt"))) === "hello\nworld\n",
        15_000,
        "echo world after the restart",
      );
      await run(["bash", "-c", `echo ran > ${marker}`], "no.txt");
      await waitFor(async () =>
        ((await central.errorLog("ship1")).match(/"bash"/g) ?? []).length >= 2
      );
      assertEquals(await readOr(marker), "");
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "sandbox: a command or file the ACL allows but the Deno sandbox does not is refused by Deno",
  opts,
  async () => {
    const fleet = await Fleet.start(["central"]);
    const dir = await Deno.makeTempDir({ prefix: "steward-ship1-" });
    try {
      const central = fleet.get("central");
      const logs = join(dir, "logs");
      await Deno.mkdir(logs);
      await Deno.mkdir(join(dir, "etc"));
      const outside = join(dir, "outside.log");
      await Deno.writeTextFile(outside, "secret\n");
      const acl: Acl = {
        version: 1,
        rules: [
          {
            from: ["central"],
            methods: ["REQCliCommand", "REQTailFile"],
            commands: [{ executable: "echo" }, { executable: "true" }],
            paths: [logs],
          },
          HARMLESS,
        ],
      };
      await Deno.writeTextFile(join(dir, "etc", "acl.json"), JSON.stringify(acl));
      const ship1 = await Agent.start("ship1", {
        dir,
        broker: fleet.broker.address,
        sandbox: true,
      });
      fleet.agents.set("ship1", ship1);
      await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "sandboxed"],
        directory: "cmd",
        fileName: "out.txt",
      });
      const out = await waitFor(() => readOr(central.file("cmd", "ship1", "out.txt")), 15_000);
      assertEquals(out, "sandboxed\n");

      // A narrower ACL narrows the running agent's sandbox too: `true` is revoked at once.
      await sendAcl(central, "ship1", {
        ...acl,
        version: 2,
        rules: [{ ...acl.rules[0], commands: [{ executable: "echo" }] }, HARMLESS],
      });
      await waitForText(
        central.file("acl", "ship1", "acl.log"),
        /ACL version 2 in force on ship1; sandbox narrowed: run true/,
        "ACL v2",
      );
      // Central now allows more than ship1's sandbox grants (Deno cannot widen it at run time).
      await sendAcl(central, "ship1", {
        ...acl,
        version: 3,
        rules: [{ ...acl.rules[0], commands: [{ executable: "*" }], paths: ["/"] }, HARMLESS],
      });
      await waitForText(
        central.file("acl", "ship1", "acl.log"),
        /ACL version 3 in force on ship1; what it allows beyond the sandbox .* is refused by Deno until the agent restarts/,
        "ACL v3",
      );
      for (const command of ["ls", "true"]) {
        await central.send({
          toNode: "ship1",
          method: "REQCliCommand",
          methodArgs: [command, "/"],
          directory: "cmd",
          fileName: "out.txt",
        });
        await waitForText(
          central.file("cmd", "ship1", "out.txt"),
          new RegExp(
            `ERROR from ship1 \\(REQCliCommand \\S+\\): not allowed to run ${command}: ` +
              `Requires run access to "${command}"`,
          ),
          `Deno's refusal to run ${command}`,
        );
      }
      await central.send({
        toNode: "ship1",
        method: "REQTailFile",
        methodArgs: [outside],
        methodTimeout: 10,
        directory: "cmd",
        fileName: "tail.txt",
      });
      await waitForText(
        central.file("cmd", "ship1", "tail.txt"),
        /ERROR from ship1.*Requires read access/,
        "Deno's refusal to read outside.log",
      );
      assertEquals(/secret/.test(await readOr(central.file("cmd", "ship1", "tail.txt"))), false);
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "REQToFile cannot write outside the data folder, whatever the wire message says",
  opts,
  async () => {
    const fleet = await Fleet.start(["central"]);
    const nc = await connect({ servers: [fleet.broker.address] });
    try {
      const central = fleet.get("central");
      const target = `escape-${crypto.randomUUID()}`;
      const message = testMessage({
        id: `evil-${crypto.randomUUID()}`,
        fromNode: "ship1", // Signed with ship1's key below: a trusted node, gone rogue.
        toNode: "central",
        method: "REQToFile",
        directory: "../../../../../../../tmp",
        fileName: target,
        data: "pwned",
        ACKTimeout: 5,
        retries: 0,
        replyACKTimeout: 5,
        replyRetries: 0,
        methodTimeout: 5,
        replyMethodTimeout: 5,
        createdAt: Date.now(),
        isReply: true,
      });
      const ack = await nc.request(
        "central.REQToFile.EventACK",
        await signedBy("ship1", message),
        { timeout: 5000 },
      );
      await waitFor(
        async () =>
          /REQToFile failed: Cannot place reply file: directory .*"\.\." is not allowed/.test(
            await central.errorLog("central"),
          ),
        15_000,
        `the refusal (ACK ${ack.string()}; central's output: ${central.output})`,
      );
      await delay(300);
      assertEquals(await readOr(join("/tmp", target)), "");
      assertEquals(await readOr(join("/tmp", "central", target)), "");
    } finally {
      await nc.close();
      await fleet.stop();
    }
  },
);
