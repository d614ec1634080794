import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Agent, delay, Fleet, readOr, sendToSocket, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "seed REQCliCommand example with REQToFileAppend lands in central's file",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      // The seed's first example, with a command every machine has instead of `tree`.
      const answers = await central.send([{
        directory: "/var/cli/command_result/",
        fileName: "some-file-name.result",
        toNode: "ship1",
        methodArgs: ["bash", "-c", "sleep 1 & echo steward-was-here; echo $((6*7))"],
        method: "REQCliCommand",
        replyMethod: "REQToFileAppend",
        ACKTimeout: 5,
        retries: 3,
        replyACKTimeout: 5,
        replyRetries: 3,
        methodTimeout: 10,
      }]);
      assertEquals(answers.length, 1);
      assertEquals(answers[0].status, "accepted");
      const file = central.file("var/cli/command_result", "ship1", "some-file-name.result");
      const text = await waitFor(() => readOr(file), 15_000, file);
      assertEquals(text, "steward-was-here\n42\n");
      // Appends: a second run adds to the same file.
      await central.send({
        directory: "/var/cli/command_result/",
        fileName: "some-file-name.result",
        toNode: "ship1",
        methodArgs: ["echo", "second"],
        method: "REQCliCommand",
        replyMethod: "REQToFileAppend",
      });
      await waitFor(async () => (await readOr(file)).endsWith("second\n"), 10_000, "append");
      assertEquals(await readOr(file), "steward-was-here\n42\nsecond\n");
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "toNodes fans out: one reply file per node; REQPing gets REQPong; REQToFile replaces",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1", "ship2"]);
    try {
      const central = fleet.get("central");
      const answers = await central.send({
        directory: "fan",
        fileName: "host.txt",
        toNodes: ["ship1", "ship2"],
        method: "REQCliCommand",
        methodArgs: ["bash", "-c", "echo i am; pwd"],
        replyMethod: "REQToFile",
      });
      assertEquals(answers.map((a) => a.toNode).sort(), ["ship1", "ship2"]);
      assert(answers[0].id !== answers[1].id);
      for (const ship of ["ship1", "ship2"]) {
        const text = await waitFor(() => readOr(central.file("fan", ship, "host.txt")), 15_000);
        assertEquals(text, `i am\n${fleet.get(ship).dir}\n`);
      }
      await central.send({
        directory: "fan",
        fileName: "host.txt",
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "replaced"],
        replyMethod: "REQToFile",
      });
      await waitFor(async () =>
        (await readOr(central.file("fan", "ship1", "host.txt"))) === "replaced\n"
      );

      await central.send({ toNodes: ["ship1", "ship2"], method: "REQPing" });
      for (const ship of ["ship1", "ship2"]) {
        const pong = await waitFor(() => readOr(central.file("ping", ship, "pong.log")), 10_000);
        assertMatch(pong, new RegExp(`^pong from ${ship} \\d{4}-`));
      }
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "REQHello: central appends a line per hello to ship1's hello log and keeps when it was last seen",
  opts,
  async () => {
    const fleet = await Fleet.start(["central"]);
    try {
      const central = fleet.get("central");
      await fleet.add("ship1", ["-startPubREQHello=1"]);
      const lastSeen = central.file("hello-messages", "ship1", "last-seen.log");
      const log = central.file("hello-messages", "ship1", "hello.log");
      const first = await waitFor(() => readOr(lastSeen), 10_000, "hello from ship1");
      assertMatch(first, /^\d{4}-\d\d-\d\dT.* hello from ship1\n$/);
      // Replaced on every hello: last-seen moves forward.
      const later = await waitFor(
        async () => {
          const text = await readOr(lastSeen);
          return text !== first ? text : "";
        },
        10_000,
        "a later hello",
      );
      // Each hello is a line of the log, the last one included (it is appended first).
      const lines = (await readOr(log)).split("\n").filter((l) => l !== "");
      assert(lines.length >= 2, lines.join("\n"));
      for (const line of lines) assertMatch(line, /^\d{4}-\d\d-\d\dT.* hello from ship1$/);
      assert(lines.includes(first.trim()) && lines.includes(later.trim()), lines.join("\n"));
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "a message to a down node ends in central's error log; agents keep serving",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const started = Date.now();
      const [a] = await central.send({
        toNode: "ship9",
        method: "REQCliCommand",
        methodArgs: ["echo", "never"],
        ACKTimeout: 1,
        retries: 2,
      });
      const log = await waitFor(
        async () => {
          const l = await central.errorLog("central");
          return l.includes(a.id!) ? l : "";
        },
        10_000,
        "error line",
      );
      const elapsed = Date.now() - started;
      assert(elapsed < 6000, `error took ${elapsed} ms`);
      assertMatch(
        log,
        /toNode: ship9, fromNode: central, method: REQCliCommand, id: \S+: max retries reached, check if node is up and running/,
      );
      await central.send({ toNode: "ship1", method: "REQPing" });
      await waitFor(() => readOr(central.file("ping", "ship1", "pong.log")), 10_000);
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "a node started within the retry window gets the message exactly once",
  opts,
  async () => {
    const fleet = await Fleet.start(["central"]);
    try {
      const central = fleet.get("central");
      const shipDir = await Deno.makeTempDir({ prefix: "steward-ship-late-" });
      const marker = `${shipDir}/ran.txt`;
      await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["bash", "-c", `echo ran >> ${marker}; echo done`],
        directory: "late",
        fileName: "late.txt",
        ACKTimeout: 1,
        retries: 20,
      });
      await delay(2500);
      await fleet.add("ship1", [], "ready").then(() => {});
      const ship1 = fleet.get("ship1");
      assert(ship1);
      const reply = await waitFor(() => readOr(central.file("late", "ship1", "late.txt")), 15_000);
      assertEquals(reply, "done\n");
      await delay(2500); // Room for any resend to (wrongly) run it again.
      assertEquals(await readOr(marker), "ran\n");
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "bad input is rejected with a clear reason and the agent keeps serving",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const cases: [string, RegExp][] = [
        ['[{"toNode": "ship1", "method": ', /truncated JSON|malformed JSON/],
        ["[{toNode: ship1}]", /malformed JSON/],
        [
          '{"toNode":"ship1","method":"REQDoesNotExist"}',
          /method: unknown method "REQDoesNotExist"/,
        ],
        ['{"method":"REQPing"}', /toNode: toNode or toNodes is required/],
        [
          '{"toNode":"ship1","method":"REQPing","directory":"../../etc"}',
          /directory "..\/..\/etc": ".." is not allowed/,
        ],
        ['{"toNode":"ship1","method":"REQPing","fileName":"a/../../b"}', /fileName/],
        ['{"toNode":"ship.1","method":"REQPing"}', /toNode: must be/],
        [
          '{"toNode":"ship1","method":"REQPing","ACKTimeout":-1}',
          /ACKTimeout: must not be negative/,
        ],
        ['{"toNode":"ship1","method":"REQPing","bogus":1}', /unknown field/],
      ];
      for (const [input, expected] of cases) {
        const answers = await central.send(input);
        assertEquals(answers.length, 1, input);
        assertEquals(answers[0].status, "rejected", input);
        assertMatch(answers[0].error!, expected, input);
      }
      const bad = await sendToSocket(central.socket, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
      assertMatch(bad[0].error!, /not valid UTF-8/);
      // Rejections are reported to the central error log as well.
      await waitFor(async () => (await central.errorLog("central")).includes("REQDoesNotExist"));
      // The next valid message in the same stream is still taken.
      const mixed = await central.send(
        '[{"toNode":"ship1","method":"REQNope"},{"toNode":"ship1","method":"REQPing"}]',
      );
      assertEquals(mixed.map((a) => a.status), ["rejected", "accepted"]);
      await waitFor(() => readOr(central.file("ping", "ship1", "pong.log")), 10_000);
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test("the seed's way works: nc -U ./tmp/steward.sock < msg.json", opts, async () => {
  const fleet = await Fleet.start(["central", "ship1"]);
  try {
    const central = fleet.get("central");
    const msg = `${central.dir}/msg.json`;
    await Deno.writeTextFile(
      msg,
      JSON.stringify([{
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "via nc"],
        directory: "nc",
        fileName: "nc.txt",
      }]),
    );
    const out = await new Deno.Command("bash", {
      args: ["-c", "nc -U ./tmp/steward.sock < msg.json"],
      cwd: central.dir,
      stdout: "piped",
    }).output();
    const answer = JSON.parse(new TextDecoder().decode(out.stdout).trim());
    assertEquals(answer.status, "accepted");
    assertEquals(
      await waitFor(() => readOr(central.file("nc", "ship1", "nc.txt")), 10_000),
      "via nc\n",
    );
  } finally {
    await fleet.stop();
  }
});

Deno.test(
  "restarting central while a message waits for a down node: it is delivered later",
  opts,
  async () => {
    const fleet = await Fleet.start(["central"]);
    try {
      const central = fleet.get("central");
      const [a] = await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "survived"],
        directory: "restart",
        fileName: "r.txt",
        ACKTimeout: 1,
        retries: 60,
      });
      assertEquals(a.status, "accepted");
      await delay(1500);
      await central.kill9();
      await central.restart();
      await fleet.add("ship1");
      assertEquals(
        await waitFor(() => readOr(central.file("restart", "ship1", "r.txt")), 20_000),
        "survived\n",
      );
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test("methodTimeout kills the command's whole process group", opts, async () => {
  const fleet = await Fleet.start(["central", "ship1"]);
  try {
    const central = fleet.get("central");
    const marker = `${Math.floor(Math.random() * 1e6) + 1000}`;
    await central.send({
      toNode: "ship1",
      method: "REQCliCommand",
      methodArgs: ["bash", "-c", `sleep ${marker} | cat & sleep ${marker}`],
      methodTimeout: 1,
      directory: "timeout",
      fileName: "t.txt",
    });
    const reply = await waitFor(() => readOr(central.file("timeout", "ship1", "t.txt")), 15_000);
    assertMatch(
      reply,
      /^ERROR from ship1 \(REQCliCommand \S+\): bash stopped: methodTimeout reached/,
    );
    const left = await new Deno.Command("pgrep", {
      args: ["-f", `sleep ${marker}`],
      stdout: "piped",
    })
      .output();
    assertEquals(new TextDecoder().decode(left.stdout).trim(), "", "processes left behind");
  } finally {
    await fleet.stop();
  }
});

Deno.test(
  "CLI: flags are written to the config file and reused; bad flags exit 2",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "steward-cli-" });
    try {
      const run = (args: string[]) =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "scripts/agent.ts", ...args],
          env: { CONFIG_FOLDER: `${dir}/etc`, NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
      const help = await run(["--help"]);
      const helpText = new TextDecoder().decode(help.stdout);
      for (
        const flag of [
          "nodeName",
          "brokerAddress",
          "startSubREQCliCommand",
          "defaultMessageRetries",
        ]
      ) {
        assertMatch(helpText, new RegExp(`-${flag}`));
      }
      const unknown = await run(["--noSuchFlag=1"]);
      assertEquals(unknown.code, 2);
      assertMatch(new TextDecoder().decode(unknown.stderr), /unknown flag -noSuchFlag/);
      const badValue = await run(["-nodeName=x", "-defaultMessageTimeout=soon"]);
      assertEquals(badValue.code, 2);
      assertMatch(
        new TextDecoder().decode(badValue.stderr),
        /defaultMessageTimeout: "soon" is not a whole number/,
      );

      // Go style, --flag value and --flag=value all work; the file keeps them for the next start.
      const agent = await Agent.start("cfgnode", {
        dir,
        broker: "127.0.0.1:1",
        wait: "socket",
        flags: [
          "-defaultMessageRetries=7",
          "--defaultMessageTimeout",
          "9",
          "--startSubREQHttpGet=false",
        ],
      });
      await agent.stop();
      const saved = JSON.parse(await Deno.readTextFile(`${dir}/etc/config.json`));
      assertEquals(saved.nodeName, "cfgnode");
      assertEquals(saved.defaultMessageRetries, 7);
      assertEquals(saved.defaultMessageTimeout, 9);
      assertEquals(saved.startSubREQHttpGet, false);

      // A restart with no flags at all takes everything from the file.
      const bare = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${Deno.cwd()}/scripts/agent.ts`],
        cwd: dir,
        env: { CONFIG_FOLDER: `${dir}/etc`, NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      // Its log (stderr) says it accepts messages, after it says the broker is out of reach.
      const reader = bare.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let said = "";
      while (!said.includes("accepting messages")) {
        const chunk = await reader.read();
        if (chunk.done) break;
        said += chunk.value;
      }
      assertMatch(said, /steward cfgnode: accepting messages/);
      bare.kill("SIGTERM");
      reader.cancel();
      await bare.status;
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
