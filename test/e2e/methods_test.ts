/**
 * End-to-end tests of the methods of issue 3 (streaming commands, tail, HTTP GET, process
 * control, reply chaining, big outputs, the exposed data folder), with a real nats-server and
 * real agent processes.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { delay, Fleet, freePort, readOr, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Process ids whose command line matches `pattern` (none: ""). */
async function pgrep(pattern: string): Promise<string> {
  const out = await new Deno.Command("pgrep", { args: ["-f", pattern], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

function uniqueMarker(): string {
  return `m${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A local HTTP server for REQHttpGet; `hang` requests never answer until it stops. */
function testServer(): { base: string; stop: () => Promise<void> } {
  const stop = new AbortController();
  const release = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: stop.signal, onListen: () => {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/page") return new Response("<html><body>steward page</body></html>\n");
      if (path === "/hang") {
        await release.promise;
        return new Response("too late\n");
      }
      return new Response("no such page\n", { status: 404 });
    },
  );
  return {
    base: `http://127.0.0.1:${server.addr.port}`,
    stop: async () => {
      release.resolve();
      stop.abort();
      await server.finished;
    },
  };
}

Deno.test(
  "REQnCliCommandCont: lines reach central while the command runs; methodTimeout ends it " +
    "normally and kills its whole process group",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const marker = uniqueMarker();
      await Deno.writeTextFile(`${fleet.get("ship1").dir}/x.log`, "");
      const sent = Date.now();
      await central.send([{
        directory: "cont",
        fileName: "cont.log",
        toNode: "ship1",
        method: "REQnCliCommandCont",
        // The pipe at the end never ends by itself: only killing the group stops it.
        methodArgs: [
          "bash",
          "-c",
          `for i in 1 2 3; do echo line-$i; sleep 1.2; done; ` +
          `tail -f x.log | grep --line-buffered ${marker}`,
        ],
        replyMethod: "REQToFileAppend",
        methodTimeout: 6,
      }]);
      const file = central.file("cont", "ship1", "cont.log");
      await waitFor(async () => (await readOr(file)).startsWith("line-1\n"), 10_000, "line-1");
      const firstLineMs = Date.now() - sent;
      // Still running while its first lines are already at central.
      assert((await pgrep(marker)) !== "", "the command should still be running");
      assert(!(await readOr(file)).includes("line-3"), "line-3 should not be there yet");
      await waitFor(async () => (await readOr(file)).includes("line-3\n"), 10_000, "line-3");
      // methodTimeout (6 s) ends it: nothing of its group is left.
      await waitFor(async () => (await pgrep(marker)) === "", 15_000, "the group to be killed");
      await delay(1000); // The final (empty) reply, and anything wrongly sent after it.
      assertEquals(await readOr(file), "line-1\nline-2\nline-3\n");
      assertEquals(await central.errorLog("ship1"), "", "a timeout is not an error here");
      console.log(`  first line at central after ${firstLineMs} ms`);
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "REQCliCommandCont batches a fast producer into few messages, keeping every line in order",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      await central.send({
        directory: "cont",
        fileName: "seq.log",
        toNode: "ship1",
        method: "REQCliCommandCont",
        methodArgs: ["seq", "1", "20000"],
        methodTimeout: 20,
      });
      const expected = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join("");
      const file = central.file("cont", "ship1", "seq.log");
      await waitFor(async () => (await readOr(file)).length >= expected.length, 20_000, "seq");
      await delay(500);
      assertEquals(await readOr(file), expected);
      const audit = await readOr(`${fleet.get("ship1").dir}/var/audit.log`);
      const replies = audit.split("\n").filter((l) =>
        l.includes('"event":"published"') && l.includes('"subject":"central.REQToFileAppend')
      ).length;
      assert(replies >= 1 && replies < 200, `20000 lines took ${replies} reply messages`);
      console.log(`  20000 lines in ${replies} reply messages`);

      // A producer slow enough for many messages: they still land in order.
      await central.send({
        directory: "cont",
        fileName: "slow.log",
        toNode: "ship1",
        method: "REQCliCommandCont",
        methodArgs: ["bash", "-c", "for i in $(seq 1 150); do echo $i; sleep 0.005; done"],
        methodTimeout: 30,
      });
      const slowExpected = Array.from({ length: 150 }, (_, i) =>
        `${i + 1}\n`).join("");
      const slow = central.file("cont", "ship1", "slow.log");
      await waitFor(async () => (await readOr(slow)).length >= slowExpected.length, 30_000);
      await delay(300);
      assertEquals(await readOr(slow), slowExpected);
      const audit2 = await readOr(`${fleet.get("ship1").dir}/var/audit.log`);
      const more = audit2.split("\n").filter((l) =>
        l.includes('"event":"published"') && l.includes('"subject":"central.REQToFileAppend')
      ).length - replies;
      assert(more > 10, `150 slow lines took only ${more} messages`);

      // With REQToFile, the empty reply that ends a stream does not empty the file.
      await central.send({
        directory: "cont",
        fileName: "replace.log",
        toNode: "ship1",
        method: "REQCliCommandCont",
        methodArgs: ["bash", "-c", "echo a; echo b"],
        replyMethod: "REQToFile",
      });
      const replaced = central.file("cont", "ship1", "replace.log");
      await waitFor(async () =>
        (await readOr(replaced)) === "a\nb\n", 10_000);
      await delay(1000);
      assertEquals(await readOr(replaced), "a\nb\n");
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "REQTailFile picks up lines written after it started, across rotation and truncation",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const log = `${fleet.get("ship1").dir}/app.log`;
      await Deno.writeTextFile(log, "written before the tail\n");
      await central.send({
        directory: "tail",
        fileName: "app.log",
        toNode: "ship1",
        method: "REQTailFile",
        methodArgs: [log],
        methodTimeout: 30,
      });
      const file = central.file("tail", "ship1", "app.log");
      // Probe until the tail is running: only lines written after it started come back.
      let probes = 0;
      await waitFor(
        async () => {
          await Deno.writeTextFile(log, `probe ${probes++}\n`, { append: true });
          return (await readOr(file)).includes("probe");
        },
        15_000,
        "the tail to start",
      );
      const seen = await readOr(file);
      assert(!seen.includes("written before the tail"), seen);
      const upTo = seen.length;
      await Deno.writeTextFile(log, "after start\n", { append: true });
      await waitFor(async () => (await readOr(file)).includes("after start\n"), 10_000);
      // Rotation: renamed, one last line to the old file, then a new file.
      await Deno.rename(log, `${log}.1`);
      await Deno.writeTextFile(`${log}.1`, "last in rotated\n", { append: true });
      await Deno.writeTextFile(log, "first in new file\n");
      await waitFor(async () => (await readOr(file)).includes("first in new file\n"), 10_000);
      await Deno.writeTextFile(log, "second in new file\n", { append: true });
      await waitFor(async () => (await readOr(file)).includes("second in new file\n"), 10_000);
      // Truncation.
      await Deno.truncate(log, 0);
      await delay(600);
      await Deno.writeTextFile(log, "after truncation\n", { append: true });
      await waitFor(async () => (await readOr(file)).includes("after truncation\n"), 10_000);
      const text = await readOr(file);
      const rest = text.slice(upTo).replace(/^(probe \d+\n)*/, "");
      assertEquals(
        rest,
        "after start\nlast in rotated\nfirst in new file\nsecond in new file\nafter truncation\n",
      );
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "REQHttpGet: a 200 body comes back, a 404 and a hanging server come back as clear errors",
  opts,
  async () => {
    const server = testServer();
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const get = (name: string, path: string, methodTimeout = 5) =>
        central.send({
          directory: "web",
          fileName: name,
          toNode: "ship1",
          method: "REQHttpGet",
          methodArgs: [`${server.base}${path}`],
          replyMethod: "REQToFile",
          methodTimeout,
        });
      const started = Date.now();
      const [ok] = await get("page.html", "/page");
      await get("missing.html", "/missing");
      await get("hang.html", "/hang", 2);
      assertEquals(
        await waitFor(() => readOr(central.file("web", "ship1", "page.html")), 10_000),
        "<html><body>steward page</body></html>\n",
      );
      assertMatch(
        await waitFor(() => readOr(central.file("web", "ship1", "missing.html")), 10_000),
        new RegExp(
          `^ERROR from ship1 \\(REQHttpGet \\S+\\): HTTP 404 Not Found from ${server.base}/missing\n$`,
        ),
      );
      const hang = await waitFor(() => readOr(central.file("web", "ship1", "hang.html")), 10_000);
      const hangMs = Date.now() - started;
      assertMatch(
        hang,
        /^ERROR from ship1 \(REQHttpGet \S+\): HTTP GET \S+\/hang: no complete answer within methodTimeout \(2 s\)/,
      );
      assert(hangMs >= 1900 && hangMs < 8000, `hanging GET ended after ${hangMs} ms`);
      assert(ok.status === "accepted");
    } finally {
      await fleet.stop();
      await server.stop();
    }
  },
);

Deno.test(
  "process control: a subscriber listed, stopped and started again through op messages; " +
    "allowedNodes refuses other nodes",
  opts,
  async () => {
    const server = testServer();
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      let n = 0;
      /** Sends an op message and returns its reply file's content. */
      const op = async (fields: Record<string, unknown>): Promise<string> => {
        const fileName = `op-${n++}.log`;
        await central.send({ directory: "ops", fileName, toNode: "ship1", ...fields });
        return await waitFor(() => readOr(central.file("ops", "ship1", fileName)), 10_000);
      };
      type Proc = { id: number; kind: string; name: string; method?: string; startedAt: string };
      const procs = (text: string): Proc[] =>
        text.trim().split("\n").map((l) => JSON.parse(l) as Proc);

      const before = procs(await op({ method: "REQOpProcessList", methodArgs: [] }));
      const kinds = new Set(before.map((p) => p.kind));
      for (const k of ["subscriber", "listener", "method", "ticker"]) assert(kinds.has(k), k);
      const sub = before.find((p) => p.kind === "subscriber" && p.method === "REQHttpGet");
      assert(sub, "REQHttpGet subscriber listed");
      assertEquals(sub.name, "ship1.REQHttpGet.CommandACK");
      assertMatch(sub.startedAt, /^\d{4}-\d\d-\d\dT/);

      // The seed's REQOpProcessStop arguments.
      assertEquals(
        await op({
          method: "REQOpProcessStop",
          methodArgs: ["REQHttpGet", "ship1", "subscriber", String(sub.id)],
        }),
        `stopped subscriber ship1.REQHttpGet.CommandACK (id ${sub.id}) on ship1\n`,
      );
      const ps = procs(await op({ method: "REQOpCommand", operation: { opCmd: "ps" } }));
      assertEquals(ps.some((p) => p.method === "REQHttpGet" && p.kind === "subscriber"), false);
      assert(ps.some((p) => p.kind === "publisher"), "publishers listed");

      // Nobody listens now: the GET ends in central's error log.
      const [lost] = await central.send({
        toNode: "ship1",
        method: "REQHttpGet",
        methodArgs: [`${server.base}/page`],
        ACKTimeout: 1,
        retries: 1,
      });
      await waitFor(async () => {
        const log = await central.errorLog("central");
        return log.includes(lost.id!) && log.includes("max retries reached");
      }, 10_000);

      // Started again for ship2 only: central is refused.
      assertMatch(
        await op({
          method: "REQOpCommand",
          operation: {
            opCmd: "startProc",
            opArg: { method: "REQHttpGet", allowedNodes: ["ship2"] },
          },
        }),
        /^started subscriber for REQHttpGet on ship1 \(id \d+\), allowed nodes: ship2\n$/,
      );
      const [refused] = await central.send({
        toNode: "ship1",
        method: "REQHttpGet",
        methodArgs: [`${server.base}/page`],
      });
      await waitFor(async () => {
        const log = await central.errorLog("central");
        return log.includes(refused.id!) &&
          log.includes("node central is not allowed to use REQHttpGet on ship1");
      }, 10_000);

      // Stopped with the seed's opCmd form, started again (seed REQOpProcessStart) for central.
      assertMatch(
        await op({
          method: "REQOpCommand",
          operation: {
            opCmd: "stopProc",
            opArg: { method: "REQHttpGet", kind: "subscriber", receivingNode: "ship1" },
          },
        }),
        /^stopped subscriber ship1.REQHttpGet.CommandACK/,
      );
      assertMatch(
        await op({ method: "REQOpProcessStart", methodArgs: ["REQHttpGet", "central"] }),
        /allowed nodes: central\n$/,
      );
      const after = procs(await op({ method: "REQOpProcessList" }));
      const again = after.find((p) => p.kind === "subscriber" && p.method === "REQHttpGet") as
        & Proc
        & { allowedNodes?: string[] };
      assert(again && again.id !== sub.id, "a new REQHttpGet subscriber");
      assertEquals(again.allowedNodes, ["central"]);
      assertEquals(
        await op({ method: "REQHttpGet", methodArgs: [`${server.base}/page`] }),
        "<html><body>steward page</body></html>\n",
      );

      // A publisher stopped (the very one that carries this reply): a new one takes over.
      assertMatch(
        await op({
          method: "REQOpProcessStop",
          methodArgs: ["REQToFileAppend", "central", "publisher"],
        }),
        /^stopped publisher central.REQToFileAppend.EventACK \(id \d+\) on ship1\n$/,
      );

      // A running method is listed and can be stopped by id: its process group ends with it.
      const marker = uniqueMarker();
      const [long] = await central.send({
        directory: "ops",
        fileName: "long.log",
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["bash", "-c", `sleep 60; echo ${marker}`],
        methodTimeout: 120,
      });
      await waitFor(async () => (await pgrep(marker)) !== "", 10_000, "the long command");
      const running = procs(await op({ method: "REQOpProcessList" })).find((p) =>
        p.kind === "method" && p.name === `REQCliCommand ${long.id}`
      );
      assert(running, "the running command is listed");
      assertMatch(
        await op({
          method: "REQOpProcessStop",
          methodArgs: ["REQCliCommand", "ship1", "method", String(running.id)],
        }),
        new RegExp(`^stopped method REQCliCommand ${long.id} \\(id ${running.id}\\) on ship1\n$`),
      );
      assertMatch(
        await waitFor(() => readOr(central.file("ops", "ship1", "long.log")), 10_000),
        /^ERROR from ship1 \(REQCliCommand \S+\): bash stopped: stopped by REQOpProcessStop/,
      );
      assertEquals(await pgrep(marker), "");

      // Refusals are explained.
      assertMatch(
        await op({ method: "REQOpProcessStop", methodArgs: ["REQOpCommand", "ship1"] }),
        /^ERROR from ship1 \(REQOpProcessStop \S+\): not stopping the REQOpCommand subscriber/,
      );
      const dispatcher = after.find((p) => p.kind === "ticker" && p.name === "dispatcher");
      assert(dispatcher, "the dispatcher is listed");
      assertMatch(
        await op({
          method: "REQOpProcessStop",
          methodArgs: ["", "ship1", "ticker", String(dispatcher.id)],
        }),
        /not stopping the dispatcher/,
      );
      assertMatch(
        await op({ method: "REQOpProcessStop", methodArgs: ["REQTailFile", "ship1", "x", "9"] }),
        /kind "x": expected one of/,
      );
      assertMatch(
        await op({ method: "REQOpProcessStart", methodArgs: ["REQPing"] }),
        /a subscriber for REQPing is already running/,
      );
    } finally {
      await fleet.stop();
      await server.stop();
    }
  },
);

Deno.test(
  "reply chaining: the seed's {{STEWARD_DATA}} example writes apekatt.txt; " +
    "replyMethodTimeout bounds the reply command",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      // The seed's example as written (with `tree`, which is not everywhere, replaced).
      await central.send([{
        directory: "cli_command_test",
        fileName: "cli_command.result",
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["bash", "-c", "echo first line; echo second line"],
        replyMethod: "REQCliCommand",
        replyMethodArgs: ["bash", "-c", 'echo "{{STEWARD_DATA}}" > apekatt.txt'],
        replyMethodTimeOut: 10,
        ACKTimeout: 3,
        retries: 3,
        methodTimeout: 10,
      }]);
      // The reply command runs on the node the request came from, in its working folder.
      const apekatt = await waitFor(() => readOr(`${central.dir}/apekatt.txt`), 15_000);
      assertEquals(apekatt, "first line\nsecond line\n\n");
      // Its (empty) result reaches the central node's reply file, without error.
      const result = central.file("cli_command_test", "central", "cli_command.result");
      await waitFor(async () => (await Deno.stat(result).catch(() => null)) !== null, 10_000);
      assertEquals(await readOr(result), "");

      // The answering node's output is data, never code, in the reply command.
      await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["printf", "%s", 'x"; touch pwned; echo "$(touch pwned2)'],
        replyMethod: "REQCliCommand",
        replyMethodArgs: ["bash", "-c", 'echo "{{STEWARD_DATA}}" > hostile.txt'],
      });
      assertEquals(
        await waitFor(() => readOr(`${central.dir}/hostile.txt`), 15_000),
        'x"; touch pwned; echo "$(touch pwned2)\n',
      );
      for (const f of ["pwned", "pwned2"]) {
        assertEquals(await Deno.stat(`${central.dir}/${f}`).catch(() => null), null, f);
      }

      // A reply command running longer than replyMethodTimeout is stopped, and says so.
      await central.send({
        directory: "chain",
        fileName: "slow.result",
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "data"],
        replyMethod: "REQCliCommand",
        replyMethodArgs: ["bash", "-c", "sleep 30; echo {{STEWARD_DATA}} > never.txt"],
        replyMethodTimeout: 1,
      });
      const slow = await waitFor(
        () => readOr(central.file("chain", "central", "slow.result")),
        15_000,
      );
      assertMatch(slow, /^ERROR from central \(REQCliCommand \S+\): bash stopped: methodTimeout/);
      assertEquals(await readOr(`${central.dir}/never.txt`), "");
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "big outputs: 5 MiB arrives intact (sha256); beyond maxMessageSize a clear error, never " +
    "a truncated result",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"], {
      flags: { ship1: ["-maxMessageSize=6000000"] },
    });
    try {
      const central = fleet.get("central");
      const ship1 = fleet.get("ship1");
      // 5 MiB of text in lines, different on every run.
      const random = crypto.getRandomValues(new Uint8Array(48));
      const line = btoa(String.fromCharCode(...random)) + "\n"; // 65 chars
      const size = 5 * 1024 * 1024;
      let big = "";
      for (let i = 0; big.length < size; i++) big += `${i} ${line}`;
      big = big.slice(0, size - 1) + "\n";
      await Deno.writeTextFile(`${ship1.dir}/big.txt`, big);

      const started = Date.now();
      await central.send({
        directory: "big",
        fileName: "big.txt",
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["cat", "big.txt"],
        replyMethod: "REQToFile",
        methodTimeout: 30,
        ACKTimeout: 10,
      });
      const file = central.file("big", "ship1", "big.txt");
      await waitFor(
        async () => (await Deno.stat(file).catch(() => null))?.size === size,
        30_000,
        "5 MiB at central",
      );
      const ms = Date.now() - started;
      assertEquals(sha256(await Deno.readTextFile(file)), sha256(big));
      console.log(`  5 MiB reply arrived intact after ${ms} ms`);

      // Output over ship1's maxMessageSize: the command is stopped and the reply says why.
      await central.send({
        directory: "big",
        fileName: "huge.txt",
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["bash", "-c", "head -c 7000000 /dev/zero | tr '\\0' a"],
        replyMethod: "REQToFile",
      });
      assertMatch(
        await waitFor(() => readOr(central.file("big", "ship1", "huge.txt")), 20_000),
        /^ERROR from ship1 \(REQCliCommand \S+\): output of bash exceeds the limit of 6000000 bytes; command stopped\n$/,
      );

      // Output under the limit whose message is over it (JSON escapes each quote): the result
      // cannot be sent; the requester gets an error reply instead, and central's error log.
      const [quotes] = await central.send({
        directory: "big",
        fileName: "quotes.txt",
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["bash", "-c", "head -c 3500000 /dev/zero | tr '\\0' '\"'"],
        replyMethod: "REQToFile",
      });
      assertMatch(
        await waitFor(() => readOr(central.file("big", "ship1", "quotes.txt")), 20_000),
        new RegExp(
          `^ERROR from ship1 \\(REQCliCommand ${quotes.id}\\): result not sent: message of ` +
            `7\\d{6} bytes exceeds the maxMessageSize of 6000000 bytes\n$`,
        ),
      );
      // The error line travels as its own message (REQErrorLog), not with the reply: it may land
      // after the reply file.
      const logged = new RegExp(
        `\\(reply to ${quotes.id}\\): message of 7\\d{6} bytes exceeds the maxMessageSize`,
      );
      await waitFor(async () => logged.test(await central.errorLog("ship1")), 10_000, "error log");
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "a tail, a hanging HTTP GET and a 60 s command on a node do not delay a REQPing to it",
  opts,
  async () => {
    const server = testServer();
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const ship1 = fleet.get("ship1");
      const pongs = central.file("ping", "ship1", "pong.log");
      const ping = async (): Promise<number> => {
        const before = (await readOr(pongs)).split("\n").length;
        const sent = performance.now();
        await central.send({ toNode: "ship1", method: "REQPing" });
        await waitFor(async () => (await readOr(pongs)).split("\n").length > before, 10_000);
        return Math.round(performance.now() - sent);
      };
      await ping(); // Warm up: publishers and subscribers exist.
      const idle = await ping();

      const marker = uniqueMarker();
      await Deno.writeTextFile(`${ship1.dir}/busy.log`, "");
      await central.send([
        {
          toNode: "ship1",
          method: "REQTailFile",
          methodArgs: [`${ship1.dir}/busy.log`],
          methodTimeout: 60,
        },
        {
          toNode: "ship1",
          method: "REQHttpGet",
          methodArgs: [`${server.base}/hang`],
          methodTimeout: 60,
        },
        {
          toNode: "ship1",
          method: "REQCliCommand",
          methodArgs: ["bash", "-c", `sleep 60; echo ${marker}`],
          methodTimeout: 70,
        },
      ]);
      await waitFor(async () => (await pgrep(marker)) !== "", 10_000, "the 60 s command");
      await delay(500);
      const loaded: number[] = [];
      for (let i = 0; i < 3; i++) loaded.push(await ping());
      console.log(`  REQPing round trip: idle ${idle} ms, under load ${loaded.join(", ")} ms`);
      assert(Math.max(...loaded) < 3000, `REQPing took ${Math.max(...loaded)} ms under load`);
    } finally {
      await fleet.stop();
      await server.stop();
    }
  },
);

Deno.test(
  "reply handlers: REQToFileAppend appends, REQToFile replaces, REQToConsole prints a " +
    "readable line; -exposeDataFolder serves the result read-only",
  opts,
  async () => {
    const port = freePort();
    const fleet = await Fleet.start(["central", "ship1"], {
      flags: { central: [`-exposeDataFolder=127.0.0.1:${port}`] },
    });
    try {
      const central = fleet.get("central");
      const cmd = (text: string, replyMethod: string, fileName = "r.txt") =>
        central.send({
          directory: "results",
          fileName,
          toNode: "ship1",
          method: "REQCliCommand",
          methodArgs: ["echo", text],
          replyMethod,
        });
      const file = central.file("results", "ship1", "r.txt");
      await cmd("one", "REQToFileAppend");
      await waitFor(async () => (await readOr(file)) === "one\n", 10_000);
      await cmd("two", "REQToFileAppend");
      await waitFor(async () => (await readOr(file)) === "one\ntwo\n", 10_000);
      await cmd("three", "REQToFile");
      await waitFor(async () => (await readOr(file)) === "three\n", 10_000);
      const [printed] = await cmd("printed-on-console", "REQToConsole");
      await waitFor(
        () => central.output.includes("[ship1] REQCliCommand: printed-on-console"),
        10_000,
        "the console line",
      );
      // A failure says which node, which request and why.
      const [failed] = await central.send({
        directory: "results",
        fileName: "fail.txt",
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["bash", "-c", "echo oops >&2; exit 3"],
      });
      assertEquals(
        await waitFor(() => readOr(central.file("results", "ship1", "fail.txt")), 10_000),
        `ERROR from ship1 (REQCliCommand ${failed.id}): bash exited with code 3: oops\n`,
      );
      assert(printed.id);

      // The data folder over HTTP: listing, file, and nothing else.
      const base = `http://127.0.0.1:${port}`;
      const listing = await (await fetch(`${base}/results/ship1/`)).text();
      assertMatch(listing, /href="r.txt"/);
      assertEquals(await (await fetch(`${base}/results/ship1/r.txt`)).text(), "three\n");
      const escape = await fetch(`${base}/results/..%2f..%2f..%2fetc%2fpasswd`);
      await escape.body?.cancel();
      assertEquals(escape.status, 403);
      const put = await fetch(`${base}/results/ship1/r.txt`, { method: "PUT", body: "x" });
      await put.body?.cancel();
      assertEquals(put.status, 405);

      // A store sent as a request (not a reply) lands once; every store's journal line is
      // dropped once it is marked done, so the journals end empty.
      const ship1 = fleet.get("ship1");
      await central.send({
        toNode: "ship1",
        method: "REQToFileAppend",
        directory: "notes",
        fileName: "direct.txt",
        data: "direct\n",
      });
      const direct = ship1.file("notes", "central", "direct.txt");
      await waitFor(async () => (await readOr(direct)) === "direct\n", 10_000);
      for (const agent of [central, ship1]) {
        const journal = join(agent.dir, "var", "store_journal.log");
        await waitFor(async () => (await Deno.stat(journal)).size === 0, 10_000, journal);
      }
    } finally {
      await fleet.stop();
    }
  },
);
