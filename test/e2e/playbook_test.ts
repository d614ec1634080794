import { join } from "node:path";
import { connect, to } from "../../mod.ts";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { delay, Fleet, freePort, readOr, ROOT, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno <args>` as a user would, and collects its output. */
async function deno(args: string[], options: { cwd?: string } = {}): Promise<Ran> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

function ok(ran: Ran, what: string): string {
  assertEquals(ran.code, 0, `${what} exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
  return ran.stdout;
}

Deno.test("every example in playbooks/ runs against real agents", opts, async () => {
  const fleet = await Fleet.start(["central", "ship1", "ship2"]);
  try {
    const central = fleet.get("central");
    const socket = `--socket=${central.socket}`;

    const one = ok(await deno(["run", "-A", "playbooks/run_command.ts", socket]), "run_command");
    assertMatch(one, /^ship1 answered in \d+ ms/);
    assertMatch(await readOr(central.file("playbooks", "ship1", "uname.txt")), /^Linux /);

    const summary = ok(
      await deno(["run", "-A", "playbooks/fleet_summary.ts", socket]),
      "fleet_summary",
    );
    assertMatch(summary, /ship1 {7}true {2}\d+ +\d+%/);
    assertMatch(summary, /ship2 {7}true {2}\d+ +\d+%/);
    assertMatch(summary, /2 of 2 nodes answered/);

    const twoStep = ok(await deno(["run", "-A", "playbooks/two_step.ts", socket]), "two_step");
    assertMatch(twoStep, /ship2 says: (take over|stand by): ship1 root fs is \d+% full/);
    const decisions = await waitFor(() =>
      readOr(central.file("playbooks", "ship2", "decisions.log"))
    );
    assertMatch(decisions, /^(take over|stand by): ship1 root fs is \d+% full \(limit 90%\)\n$/);

    const health = ok(await deno(["run", "-A", "playbooks/health_check.ts", socket]), "health");
    assertMatch(health, /ship1: up \(\d+ ms\)\nship2: up \(\d+ ms\)/);

    // The tail example, shortened to a few seconds, while lines are written to the file.
    const log = join(fleet.get("ship1").dir, "app.log");
    await Deno.writeTextFile(log, "before the tail\n");
    const tail = deno([
      "run",
      "-A",
      "playbooks/tail_a_minute.ts",
      socket,
      `--file=${log}`,
      "--seconds=5",
    ]);
    for (let i = 1; i <= 12; i++) {
      await delay(250);
      await Deno.writeTextFile(log, `event ${i}\n`, { append: true });
    }
    const tailed = ok(await tail, "tail_a_minute");
    assertMatch(tailed, /following .*app\.log on ship1 for 5 s/);
    assertMatch(tailed, /ship1: event 12\n\d+ lines\n$/);
  } finally {
    await fleet.stop();
  }
});

Deno.test("stream() yields the lines of a tail while the file is being written", opts, async () => {
  const fleet = await Fleet.start(["central", "ship1"]);
  try {
    const log = join(fleet.get("ship1").dir, "growing.log");
    await Deno.writeTextFile(log, "");
    const steward = await connect({ socket: fleet.get("central").socket });
    const written: number[] = [];
    const writer = (async () => {
      for (let i = 1; i <= 16; i++) {
        await delay(250);
        await Deno.writeTextFile(log, `line ${i}\n`, { append: true });
        written.push(Date.now());
      }
    })();
    const received: { line: string; node: string; at: number }[] = [];
    for await (const { line, node } of steward.stream(to("ship1").tail(log).for(6))) {
      received.push({ line, node, at: Date.now() });
    }
    await writer;
    steward.close();
    // The tail starts at the end of the file: it sees an unbroken run of the lines written
    // after it started, through the last one.
    assert(received.length >= 8, `only ${received.length} lines: ${JSON.stringify(received)}`);
    const first = Number(received[0].line.split(" ")[1]);
    assertEquals(
      received.map((r) => r.line),
      Array.from({ length: 17 - first }, (_, i) => `line ${first + i}`),
    );
    assert(received.every((r) => r.node === "ship1"));
    // Lines arrived as they were written, not all at the end.
    assert(
      received[0].at < written[written.length - 1] - 1000,
      `first line at ${received[0].at}, last write at ${written.at(-1)}`,
    );
  } finally {
    await fleet.stop();
  }
});

Deno.test("run() and stream() over HTTP and TCP, with a streaming command", opts, async () => {
  const http = freePort();
  const tcp = freePort();
  const fleet = await Fleet.start(["central", "ship1"], {
    flags: { central: [`-httpListener=127.0.0.1:${http}`, `-tcpListener=127.0.0.1:${tcp}`] },
  });
  try {
    const counting = to("ship1").cliCont("for i in 1 2 3; do echo n$i; sleep 0.3; done").for(10);
    // The network listeners need the listener token (see test/attacks/listeners_test.ts).
    const tokenFile = `${fleet.get("central").dir}/etc/listener_token`;
    const endpoints = [{ http: `127.0.0.1:${http}`, tokenFile }, {
      tcp: `127.0.0.1:${tcp}`,
      tokenFile,
    }];
    for (const endpoint of endpoints) {
      const steward = await connect(endpoint);
      const [r] = await steward.run(counting);
      assertEquals([r.node, r.ok, r.output], ["ship1", true, "n1\nn2\nn3\n"]);
      const lines: string[] = [];
      for await (const { line } of steward.stream(counting)) lines.push(line);
      assertEquals(lines, ["n1", "n2", "n3"]);
      // Breaking out of a stream stops waiting at once, while the command still runs.
      const long = to("ship1").cliCont("for i in $(seq 1 100); do echo x$i; sleep 0.2; done");
      const started = Date.now();
      for await (const { line } of steward.stream(long.for(30))) {
        assertEquals(line, "x1");
        break;
      }
      const waited = Date.now() - started;
      assert(waited < 5000, `break took ${waited} ms`);
      steward.close();
    }
  } finally {
    await fleet.stop();
  }
});
