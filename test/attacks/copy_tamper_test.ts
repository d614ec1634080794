/**
 * Attacks on file copies: a man in the middle between the source and the broker flips a byte
 * of a chunk, and a stranger pushes chunks of their own. The destination takes a chunk only
 * when its bytes are those its seal names, the source sends a refused chunk again, and the file
 * arrives whole.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { connect as natsConnect, headers } from "npm:@nats-io/transport-node@3.4.0";
import { connect, to } from "../../mod.ts";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Fleet } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const decoder = new TextDecoder();

function indexOfCrlf(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  }
  return -1;
}

/**
 * A TCP proxy to the broker at `port` that reads the client's NATS protocol and lets
 * `tamper` change the payload of each HPUB (subject, headers, payload) before passing it on.
 */
function tamperingProxy(
  port: number,
  tamper: (subject: string, head: string, payload: Uint8Array) => void,
): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(client, server);
      server.readable.pipeTo(client.writable).catch(() => {});
      (async () => {
        const writer = server.writable.getWriter();
        let buffer = new Uint8Array(0);
        for await (const piece of client.readable) {
          const joined = new Uint8Array(buffer.length + piece.length);
          joined.set(buffer);
          joined.set(piece, buffer.length);
          buffer = joined;
          let at = 0;
          for (;;) {
            const eol = indexOfCrlf(buffer, at);
            if (eol < 0) break;
            const line = decoder.decode(buffer.subarray(at, eol));
            const words = line.split(" ");
            let end = eol + 2;
            if (words[0] === "HPUB" || words[0] === "PUB") {
              const total = Number(words.at(-1));
              if (buffer.length < eol + 2 + total + 2) break;
              end = eol + 2 + total + 2;
              if (words[0] === "HPUB") {
                const headLength = Number(words.at(-2));
                const head = decoder.decode(buffer.subarray(eol + 2, eol + 2 + headLength));
                tamper(words[1], head, buffer.subarray(eol + 2 + headLength, eol + 2 + total));
              }
            }
            await writer.write(buffer.slice(at, end));
            at = end;
          }
          buffer = buffer.slice(at);
        }
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    close() {
      listener.close();
      for (const c of conns) c.close();
    },
  };
}

Deno.test(
  "copy: a chunk whose bytes a man in the middle changed is refused and sent again; chunks a " +
    "stranger pushes are not taken; the file arrives whole",
  opts,
  async () => {
    const fleet = await Fleet.start([]);
    let proxy: { port: number; close(): void } | undefined;
    try {
      let seen = 0;
      let flipped = 0;
      proxy = tamperingProxy(fleet.broker.port, (subject, head, payload) => {
        if (!subject.endsWith(".REQCopyDst.chunks") || !head.includes("Steward-Copy-Op: chunk")) {
          return;
        }
        if (++seen === 3 && payload.length > 0) {
          payload[payload.length - 1] ^= 0xff;
          flipped++;
        }
      });
      // Central, the source, reaches the broker through the proxy.
      const central = await fleet.add("central", [`-brokerAddress=127.0.0.1:${proxy.port}`]);
      const ship1 = await fleet.add("ship1");
      const content = new Uint8Array(200_000).map((_, i) => (i * 7) % 251);
      const src = join(central.dir, "conf.bin");
      await Deno.writeFile(src, content);

      // A stranger on the broker pushes a chunk of its own, unsealed, into ship1's subject.
      const stranger = await natsConnect({ servers: fleet.broker.address });
      const h = headers();
      h.set("Steward-Copy-Op", "chunk");
      const answer = stranger.request("ship1.REQCopyDst.chunks", new Uint8Array(10), {
        timeout: 1000,
        headers: h,
      }).then(() => "answered", () => "no answer");

      const steward = await connect({ socket: central.socket });
      const [r] = await steward.run(
        to("central").copy(src).to("ship1", join(ship1.dir, "conf.bin"), { chunkBytes: 50_000 })
          .for(60),
      );
      assertEquals(r.ok, true, r.error);
      assertEquals(flipped, 1);
      // The changed chunk goes again (and those sent after it before its refusal came back).
      assertMatch(r.output, /4 chunks \([1-3] sent again\)/);
      const got = await Deno.readFile(join(ship1.dir, "conf.bin"));
      assertEquals(
        createHash("sha256").update(got).digest("hex"),
        createHash("sha256").update(content).digest("hex"),
      );
      assertEquals(await answer, "no answer");
      assert(!ship1.output.includes("conf.bin.steward-copy"), "no temporary file named in errors");
      steward.close();
      await stranger.close();
    } finally {
      proxy?.close();
      await fleet.stop();
    }
  },
);
