/**
 * Attacks on the network listeners (issue 14, items 3 and 5): `-tcpListener` and
 * `-httpListener` must take nothing in without the listener token, refuse what a browser page
 * could send, never be driven by an HTTP request to the TCP port, and refuse an oversized HTTP
 * body as it streams in, with the agent's memory staying flat.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { delay, Fleet, freePort, readOr, waitFor } from "../harness.ts";
import { connect, to } from "../../mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const encoder = new TextEncoder();

/** A command that leaves `marker` behind if ship1 ever runs it. */
function touch(marker: string): { toNode: string; method: string; methodArgs: string[] } {
  return { toNode: "ship1", method: "REQCliCommand", methodArgs: ["touch", marker] };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes `payload` to a TCP port and returns what comes back until the agent closes. */
async function overTcp(port: number, payload: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reading = new Response(conn.readable).text();
  try {
    await conn.write(encoder.encode(payload));
    await conn.closeWrite();
  } catch {
    // The agent may close before everything is written: its answer is what counts.
  }
  return await Promise.race([
    reading,
    delay(15_000).then(() => "(no close within 15 s)"),
  ]);
}

/** The listener token central keeps in its config folder ("" before the fix: none exists). */
async function tokenOf(dir: string): Promise<string> {
  return (await readOr(join(dir, "etc", "listener_token"))).trim();
}

/** central (with a TCP and an HTTP listener on free ports) and ship1. */
async function startListenerFleet(): Promise<{ fleet: Fleet; tcpPort: number; httpPort: number }> {
  const tcpPort = freePort();
  const httpPort = freePort();
  const fleet = await Fleet.start(["central", "ship1"], {
    flags: {
      central: [`-tcpListener=127.0.0.1:${tcpPort}`, `-httpListener=127.0.0.1:${httpPort}`],
    },
  });
  return { fleet, tcpPort, httpPort };
}

Deno.test(
  "listeners: without the token nothing from TCP or HTTP makes ship1 run a command",
  opts,
  async () => {
    const { fleet, tcpPort, httpPort } = await startListenerFleet();
    const markers = await Deno.makeTempDir({ prefix: "steward-listener-attack-" });
    const marker = (name: string) => join(markers, name);
    const url = `http://127.0.0.1:${httpPort}/`;
    try {
      const central = fleet.get("central");
      const token = await tokenOf(central.dir);

      // TCP: a plain message, and a message after a wrong token.
      const plain = await overTcp(tcpPort, JSON.stringify(touch(marker("tcp"))) + "\n");
      assertMatch(plain, /token/i, `TCP without token answered ${plain}`);
      // (a long message after it: the refusal still reaches the client, not a reset)
      const wrong = await overTcp(
        tcpPort,
        JSON.stringify({ stewardToken: "wrong-" + token }) + "\n" +
          JSON.stringify({ ...touch(marker("tcp-wrong")), data: "x".repeat(100_000) }) + "\n",
      );
      assertMatch(wrong, /wrong listener token/, `TCP with a wrong token answered ${wrong}`);

      // An HTTP request sent to the TCP port: refused at its request line, body never read.
      const body = JSON.stringify(touch(marker("http-to-tcp")));
      const smuggled = await overTcp(
        tcpPort,
        `POST / HTTP/1.1\r\nHost: 127.0.0.1:${tcpPort}\r\nContent-Type: text/plain\r\n` +
          `Content-Length: ${body.length}\r\n\r\n${body}\n`,
      );
      assertEquals(smuggled.trim().split("\n").length, 1, `answered ${smuggled}`);
      assertMatch(smuggled, /token/i);

      // HTTP as a browser page could send it: text/plain, foreign Origin, no token.
      const browser = await fetch(url, {
        method: "POST",
        body: JSON.stringify(touch(marker("http-browser"))),
        headers: { "content-type": "text/plain", origin: "http://evil.example" },
      });
      assertEquals(browser.status, 403);
      assertMatch(JSON.stringify(await browser.json()), /origin/i);
      // No token, JSON.
      const noToken = await fetch(url, {
        method: "POST",
        body: JSON.stringify(touch(marker("http-no-token"))),
        headers: { "content-type": "application/json" },
      });
      assertEquals(noToken.status, 401);
      assertMatch(JSON.stringify(await noToken.json()), /token/i);
      // A wrong token.
      const wrongHttp = await fetch(url, {
        method: "POST",
        body: JSON.stringify(touch(marker("http-wrong"))),
        headers: { "content-type": "application/json", authorization: `Bearer x${token}` },
      });
      assertEquals(wrongHttp.status, 401);
      await wrongHttp.body?.cancel();
      // The right token but text/plain, or a foreign Origin: still refused.
      const plainType = await fetch(url, {
        method: "POST",
        body: JSON.stringify(touch(marker("http-text-plain"))),
        headers: { "content-type": "text/plain", authorization: `Bearer ${token}` },
      });
      assertEquals(plainType.status, 415);
      await plainType.body?.cancel();
      const foreign = await fetch(url, {
        method: "POST",
        body: JSON.stringify(touch(marker("http-foreign-origin"))),
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
          origin: "http://evil.example",
        },
      });
      assertEquals(foreign.status, 403);
      await foreign.body?.cancel();
      // The status page needs the token too.
      const status = await fetch(url);
      assertEquals(status.status, 401);
      await status.body?.cancel();

      // The unix socket (0600) still needs no token; once its command ran, the others had time.
      const [ok] = await central.send(touch(marker("socket")));
      assertEquals(ok.status, "accepted");
      await waitFor(() => exists(marker("socket")), 15_000, "the socket's command to run");
      await delay(1000);
      const ran = [];
      for await (const e of Deno.readDir(markers)) ran.push(e.name);
      assertEquals(ran, ["socket"]);
    } finally {
      await fleet.stop();
      await Deno.remove(markers, { recursive: true });
    }
  },
);

Deno.test(
  "listeners: with the token (file 0600), TCP, HTTP and the DSL client make ship1 run",
  opts,
  async () => {
    const { fleet, tcpPort, httpPort } = await startListenerFleet();
    const markers = await Deno.makeTempDir({ prefix: "steward-listener-token-" });
    const marker = (name: string) => join(markers, name);
    try {
      const central = fleet.get("central");
      const tokenFile = join(central.dir, "etc", "listener_token");
      assertEquals((await Deno.stat(tokenFile)).mode! & 0o777, 0o600);
      const token = await tokenOf(central.dir);
      assert(/^[A-Za-z0-9_-]{43,}$/.test(token), "a base64url token of at least 32 bytes");
      assert(!central.output.includes(token), "the token is never logged");

      const tcp = await overTcp(
        tcpPort,
        JSON.stringify({ stewardToken: token }) + "\n" + JSON.stringify(touch(marker("tcp"))),
      );
      assertEquals(JSON.parse(tcp.trim()).status, "accepted");

      const res = await fetch(`http://127.0.0.1:${httpPort}/`, {
        method: "POST",
        body: JSON.stringify(touch(marker("http"))),
        headers: {
          "content-type": "application/json; charset=utf-8",
          authorization: `Bearer ${token}`,
          // The listener's own origin is allowed.
          origin: `http://127.0.0.1:${httpPort}`,
        },
      });
      assertEquals(res.status, 200);
      assertEquals((await res.json())[0].status, "accepted");
      const status = await fetch(`http://127.0.0.1:${httpPort}/`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assertEquals((await status.json()).node, "central");

      const overTcpClient = await connect({ tcp: `127.0.0.1:${tcpPort}`, token });
      const [r1] = await overTcpClient.run(to("ship1").cli(`touch ${marker("dsl-tcp")}`));
      assertEquals([r1.node, r1.ok, r1.error], ["ship1", true, undefined]);
      overTcpClient.close();
      const overHttpClient = await connect({ http: `127.0.0.1:${httpPort}`, tokenFile });
      const [r2] = await overHttpClient.run(to("ship1").cli(`touch ${marker("dsl-http")}`));
      assertEquals([r2.node, r2.ok, r2.error], ["ship1", true, undefined]);
      overHttpClient.close();

      // A client with no token is told what is missing.
      const without = await connect({ tcp: `127.0.0.1:${tcpPort}` });
      let refused = "";
      await without.send(touch(marker("dsl-no-token"))).catch((e) => refused = String(e));
      assertMatch(refused, /token/i);
      without.close();

      for (const name of ["tcp", "http", "dsl-tcp", "dsl-http"]) {
        await waitFor(() => exists(marker(name)), 15_000, `the ${name} command to run`);
      }
      assert(!await exists(marker("dsl-no-token")));
    } finally {
      await fleet.stop();
      await Deno.remove(markers, { recursive: true });
    }
  },
);

/** The resident memory of process `pid`, in bytes. */
async function rss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb[1]) * 1024;
}

Deno.test(
  "listeners: a 1.5 GB chunked HTTP body is refused as it streams, memory stays flat",
  opts,
  async () => {
    const httpPort = freePort();
    const fleet = await Fleet.start(["central"], {
      flags: { central: [`-httpListener=127.0.0.1:${httpPort}`] },
    });
    try {
      const central = fleet.get("central");
      const pid = central.pid!;
      const token = await tokenOf(central.dir);
      const before = await rss(pid);
      let peak = before;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await rss(pid).catch(() => 0));
          await delay(50);
        }
      })();
      const total = 1536 * 1024 * 1024;
      const chunk = new Uint8Array(1024 * 1024).fill(0x20);
      chunk[0] = 0x5b; // "[" then spaces: valid JSON so far, never complete.
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= total) return controller.close();
          controller.enqueue(sent === 0 ? chunk : chunk.subarray(1).slice());
          sent += chunk.length;
        },
      });
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${httpPort}/`, {
        method: "POST",
        body,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        duplex: "half",
      } as RequestInit);
      const answer = await res.text();
      const sentWhenAnswered = sent;
      sampling = false;
      await sampler;
      assertEquals(res.status, 413, answer);
      assertMatch(answer, /too large/);
      const grew = peak - before;
      assert(grew < 100 * 1024 * 1024, `RSS grew by ${Math.round(grew / 1048576)} MB`);
      assert(
        sentWhenAnswered < 512 * 1024 * 1024,
        `answered after ${Math.round(sentWhenAnswered / 1048576)} MB ` +
          `(${Date.now() - started} ms)`,
      );
      // A Content-Length over the limit is refused at once, before any of the body is read.
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: httpPort });
      await conn.write(encoder.encode(
        `POST / HTTP/1.1\r\nHost: 127.0.0.1:${httpPort}\r\nContent-Type: application/json\r\n` +
          `Authorization: Bearer ${token}\r\nContent-Length: ${total}\r\n\r\n[`,
      ));
      const head = new Uint8Array(4096);
      const n = await Promise.race([conn.read(head), delay(5000).then(() => null)]);
      conn.close();
      assertMatch(new TextDecoder().decode(head.subarray(0, n ?? 0)), /^HTTP\/1\.1 413/);
    } finally {
      await fleet.stop();
    }
  },
);
