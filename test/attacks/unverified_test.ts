/**
 * Attacks by senders nobody verified (issue 14, items 4 and 8): chunk headers that reserve the
 * receiver's assembly memory before any signature check, a replayed chunk ACK that ends a
 * transfer early, and floods of forged messages that grow disk, memory and metric series.
 *
 * @module
 */
import { connect, headers, type Msg, type NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { Fleet, readOr, waitFor } from "../harness.ts";
import { testMessage } from "../message_fixture.ts";
import { CHUNK_HEADER, parseChunkHeader } from "../../src/node/chunking.ts";
import { CHUNK_SEAL_HEADER, sha256Hex } from "../../src/node/chunk_seal.ts";
import { Publisher, type PublishOutcome } from "../../src/node/publisher.ts";
import { loadOrCreateNodeKeys } from "../../src/security/node_keys.ts";
import { signedJson } from "../../src/security/signature.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Publishes one chunk as a request and returns the receiver's answer (its ACK, parsed). */
async function sendChunk(
  nc: NatsConnection,
  subject: string,
  header: string,
  data: Uint8Array,
  seal?: string,
): Promise<{ ok: boolean; error?: string }> {
  const h = headers();
  h.set(CHUNK_HEADER, header);
  if (seal) h.set(CHUNK_SEAL_HEADER, seal);
  const reply = await nc.request(subject, data, { timeout: 5000, headers: h });
  return reply.json();
}

Deno.test(
  "unverified chunks: unsigned and wrongly signed Steward-Chunk headers reserve nothing, and " +
    "a genuine 6 MB reply still arrives",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    const nc = await connect({ servers: [fleet.broker.address] });
    try {
      const central = fleet.get("central");
      await fleet.introduce();
      // The attack: two one-byte chunks announcing 8 MB messages each fill central's
      // assembly budget (twice -maxMessageSize) for the reply subject.
      const subject = "central.REQToFile.EventACK";
      const unsigned = await sendChunk(
        nc,
        subject,
        "evil0000000001 0 2 8388608",
        new Uint8Array(1),
      );
      assertEquals(unsigned.ok, false, `unsigned chunk answered ${JSON.stringify(unsigned)}`);
      // The same with a seal that claims ship1, signed by a key nobody approved.
      const attacker = await loadOrCreateNodeKeys(await Deno.makeTempDir());
      const byte = new Uint8Array(1);
      const seal = await signedJson({
        id: "evil0000000002",
        index: 0,
        count: 2,
        total: 8388608,
        fromNode: "ship1",
        toNode: "central",
        subject,
        sha256: await sha256Hex(byte),
      }, attacker);
      const forged = await sendChunk(nc, subject, "evil0000000002 0 2 8388608", byte, seal);
      assertEquals(forged.ok, false, `forged chunk answered ${JSON.stringify(forged)}`);
      assert(/not signed by the trusted key of ship1/.test(forged.error ?? ""), forged.error);

      // ship1's genuine 6 MB reply still gets through.
      const size = 6_000_000;
      await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["bash", "-c", `head -c ${size} /dev/zero | tr '\\0' a`],
        replyMethod: "REQToFile",
        directory: "big",
        fileName: "six.txt",
        methodTimeout: 30,
        ACKTimeout: 5,
        replyACKTimeout: 2,
        replyRetries: 2,
      });
      const file = central.file("big", "ship1", "six.txt");
      await waitFor(
        // The reply file ends with a newline added to the output.
        async () => ((await Deno.stat(file).catch(() => null))?.size ?? 0) >= size,
        30_000,
        "the 6 MB reply at central",
      ).catch(async (err) => {
        const logs = `${await central.errorLog("ship1")}${await central.errorLog("central")}`;
        const got = (await readOr(file)).slice(0, 300);
        throw new Error(
          `${err.message}; error logs:\n${logs.slice(-3000)}\nfile: ${got}\nship1: ${
            fleet.get("ship1").output.slice(-2000)
          }\ncentral: ${central.output.slice(-2000)}`,
        );
      });
      // The refusals were reported, without the attacker's bytes being kept anywhere.
      const errors = await readOr(central.file("errorLog", "central", "error.log"));
      assert(/without its seal/.test(errors), errors);
    } finally {
      await nc.close();
      await fleet.stop();
    }
  },
);

Deno.test(
  "a replayed ACK of chunk 0 cannot end a transfer: the publisher believes an ACK only for " +
    "the chunk it sent",
  async () => {
    // A broker stand-in: chunk 0 gets its genuine (signed, verifiable) ACK; the attacker, who
    // recorded it, answers every later chunk with it before the receiver can.
    let recorded: Uint8Array | undefined;
    const sent: number[] = [];
    const connection = {
      info: { max_payload: 12 * 1024 },
      request: (_subject: string, _data: Uint8Array, o: { headers?: Msg["headers"] }) => {
        const info = parseChunkHeader(o.headers?.get(CHUNK_HEADER) ?? "");
        if (typeof info === "string") throw new Error(info);
        sent.push(info.index);
        if (info.index === 0) {
          recorded = encoder.encode(JSON.stringify({ id: info.id, ok: true, chunk: 0 }));
        }
        const bytes = recorded!;
        return Promise.resolve({ json: () => JSON.parse(decoder.decode(bytes)) });
      },
    };
    const outcome = Promise.withResolvers<PublishOutcome>();
    const pub = new Publisher("ship1.REQToFile.EventACK", "EventACK", {
      connection: () => Promise.resolve(connection as unknown as NatsConnection),
      finished: (_m, o) => outcome.resolve(o),
      sent: () => {},
      window: 8,
      maxMessageSize: 1024 * 1024,
      // The replayed ACK is genuine: its signature verifies.
      verifyAck: () => Promise.resolve(undefined),
    });
    const stop = new AbortController();
    pub.run(stop.signal);
    pub.enqueue(testMessage({ id: "0000000001chnk", data: "x".repeat(40_000), retries: 1 }));
    try {
      const result = await outcome.promise;
      assertEquals(result.delivered, false, `ended as ${JSON.stringify(result)}`);
      // Chunk 1 was tried (and its replayed ACK refused); no chunk after it was sent.
      assertEquals(sent.filter((i) => i > 1), []);
    } finally {
      stop.abort();
    }
  },
);

/** Where the harness keeps an agent's audit log. */
export function auditPath(dir: string): string {
  return join(dir, "var", "audit.log");
}
