import { assert, assertEquals } from "../assert.ts";
import { Fleet, freePort, readOr, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** One sample of a Prometheus text exposition: metric name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2];
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** A scrape of one agent's /metrics. */
class Scrape {
  readonly samples: Sample[];
  constructor(text: string) {
    this.samples = parseExposition(text);
  }
  /** The value of the sample named `name` with (at least) `labels`, or 0 when absent. */
  value(name: string, labels: Record<string, string> = {}): number {
    const hit = this.samples.filter((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    );
    return hit.reduce((sum, s) => sum + s.value, 0);
  }
  has(name: string, labels: Record<string, string> = {}): boolean {
    return this.samples.some((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    );
  }
}

async function scrape(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assertEquals(res.status, 200);
  assert(res.headers.get("content-type")?.startsWith("text/plain"));
  return new Scrape(await res.text());
}

Deno.test(
  "/metrics on -promHostAndPort: counters move as pings flow and as a down node fails",
  opts,
  async () => {
    const centralPort = freePort();
    const shipPort = freePort();
    const fleet = await Fleet.start(["central", "ship1"], {
      flags: {
        central: [`-promHostAndPort=127.0.0.1:${centralPort}`],
        ship1: [`-promHostAndPort=127.0.0.1:${shipPort}`, "-startPubREQHello=1"],
      },
    });
    try {
      const central = fleet.get("central");
      const before = await scrape(centralPort);
      assertEquals(before.value("steward_messages_accepted_total", { method: "REQPing" }), 0);
      // Every kind is exported, even with nothing running; the socket, /metrics and the copy
      // chunks (-startSubREQCopyDst) listen.
      // Exported at 0 with no method running; ship1's hello (every second) may be running.
      assert(before.has("steward_processes", { kind: "method" }), "method processes exported");
      assert(before.value("steward_processes", { kind: "method" }) <= 1);
      assertEquals(before.value("steward_processes", { kind: "listener" }), 3);
      assert(before.value("steward_processes", { kind: "subscriber" }) >= 8);
      assert(before.has("steward_process_resident_memory_bytes"), "default process metrics");

      const answers = await central.send([
        { toNode: "ship1", method: "REQPing" },
        { toNode: "ship1", method: "REQPing" },
        { toNode: "ship1", method: "REQPing" },
      ]);
      assertEquals(answers.map((a) => a.status), ["accepted", "accepted", "accepted"]);
      const pongs = central.file("ping", "ship1", "pong.log");
      await waitFor(
        async () => (await readOr(pongs)).split("\n").filter((l) => l).length === 3,
        15_000,
        "three pongs",
      );

      const ping = { method: "REQPing", peer: "ship1" };
      const c = await waitFor(
        async () => {
          const s = await scrape(centralPort);
          // The pong line is written just before its execution is counted, and a pong can
          // reach central before the ping's ACK: wait for both counts.
          return s.value("steward_end_to_end_latency_seconds_count", { method: "REQPing" }) === 3 &&
              s.value("steward_messages_acked_total", ping) === 3
            ? s
            : undefined;
        },
        10_000,
        "end-to-end latency observed and the pings ACKed three times",
      );
      assertEquals(c.value("steward_messages_accepted_total", ping), 3);
      assertEquals(c.value("steward_messages_published_total", ping), 3);
      assertEquals(c.value("steward_messages_delivered_total", ping), 3);
      assertEquals(c.value("steward_messages_acked_total", ping), 3);
      assertEquals(c.value("steward_messages_retried_total", ping), 0);
      assertEquals(c.value("steward_ack_latency_seconds_count", { method: "REQPing" }), 3);
      assertEquals(
        c.value("steward_messages_executed_total", {
          method: "REQPong",
          peer: "ship1",
          outcome: "ok",
        }),
        3,
      );
      assertEquals(c.value("steward_messages_received_total", { method: "REQPong" }), 3);

      const s = await scrape(shipPort);
      assertEquals(s.value("steward_messages_received_total", { method: "REQPing" }), 3);
      assertEquals(
        s.value("steward_messages_executed_total", {
          method: "REQPing",
          peer: "central",
          outcome: "ok",
        }),
        3,
      );
      // ship1's replies are REQPongs it published back to central.
      assertEquals(
        s.value("steward_messages_published_total", { method: "REQPong", peer: "central" }),
        3,
      );

      // Hello age on central, computed at scrape time from the hello registry.
      const h = await waitFor(
        async () => {
          const x = await scrape(centralPort);
          return x.has("steward_hello_age_seconds", { node: "ship1" }) ? x : undefined;
        },
        10_000,
        "hello age of ship1",
      );
      const age = h.value("steward_hello_age_seconds", { node: "ship1" });
      assert(age >= 0 && age < 60, `hello age ${age}`);
      // A hello is an EventNACK: delivered once published, never ACKed.
      const hellos = await scrape(shipPort);
      const hello = { method: "REQHello", peer: "central" };
      assert(hellos.value("steward_messages_delivered_total", hello) >= 1, "hellos delivered");
      assertEquals(hellos.value("steward_messages_acked_total", hello), 0);
      assertEquals(hellos.value("steward_messages_acked_total", { method: "REQPong" }), 3);

      // A node that is down: the message is retried, then fails and is reported.
      await central.send({
        toNode: "ship9",
        method: "REQCliCommand",
        methodArgs: ["echo", "never"],
        ACKTimeout: 1,
        retries: 1,
      });
      const down = { method: "REQCliCommand", peer: "ship9" };
      const f = await waitFor(
        async () => {
          const x = await scrape(centralPort);
          return x.value("steward_messages_failed_total", down) === 1 ? x : undefined;
        },
        15_000,
        "failure of the message to ship9",
      );
      assertEquals(
        f.value("steward_messages_failed_total", { ...down, reason: "max-retries" }),
        1,
      );
      assertEquals(f.value("steward_messages_published_total", down), 2);
      assertEquals(f.value("steward_messages_retried_total", down), 1);
      assertEquals(f.value("steward_messages_delivered_total", down), 0);
      assertEquals(f.value("steward_messages_acked_total", down), 0);
      assert(f.value("steward_errors_total", { kind: "max_retries" }) >= 1);

      // Everything finished leaves KV and the ring buffer.
      await waitFor(
        async () => {
          const x = await scrape(centralPort);
          return x.value("steward_inflight_messages") === 0 &&
            x.value("steward_ring_buffer_depth") === 0;
        },
        10_000,
        "inflight back to 0",
      );

      const notFound = await fetch(`http://127.0.0.1:${centralPort}/other`);
      await notFound.body?.cancel();
      assertEquals(notFound.status, 404);
    } finally {
      await fleet.stop();
    }
  },
);
