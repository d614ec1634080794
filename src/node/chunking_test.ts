import { assert, assertEquals } from "../../test/assert.ts";
import {
  type AddOutcome,
  formatChunkHeader,
  parseChunkHeader,
  Reassembler,
  splitPayload,
} from "./chunking.ts";

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function feed(r: Reassembler, id: string, payload: Uint8Array, size: number): AddOutcome[] {
  const parts = splitPayload(payload, size);
  return parts.map((p, index) =>
    r.add({ id, index, count: parts.length, total: payload.length }, p)
  );
}

Deno.test("splitPayload() cuts into pieces of at most the given size, in order", () => {
  const p = bytes(10);
  const parts = splitPayload(p, 4);
  assertEquals(parts.map((c) => c.length), [4, 4, 2]);
  assertEquals([...parts[2]], [...p.subarray(8)]);
  assertEquals(splitPayload(new Uint8Array(0), 4).length, 1);
  assertEquals(splitPayload(bytes(8), 4).length, 2);
});

Deno.test("parseChunkHeader() reads what formatChunkHeader() writes and refuses junk", () => {
  const info = { id: "0abc", index: 2, count: 5, total: 5_000_000 };
  assertEquals(parseChunkHeader(formatChunkHeader(info)), info);
  for (const bad of ["", "a b c", "a 1 1 10", "a -1 2 3", "a x 2 3", "a 0 0 1", "a 0 1 1 1"]) {
    assertEquals(typeof parseChunkHeader(bad), "string", bad);
  }
});

Deno.test("Reassembler returns the whole message, byte for byte, on its last chunk", () => {
  const r = new Reassembler({ maxMessageBytes: 1 << 20, maxBufferedBytes: 1 << 20 });
  const payload = bytes(100_003);
  const outcomes = feed(r, "m1", payload, 10_000);
  assertEquals(outcomes.slice(0, -1).every((o) => o.status === "stored"), true);
  const last = outcomes.at(-1)!;
  assert(last.status === "complete");
  assertEquals(last.payload, payload);
  assertEquals(r.pending, 0);
  assertEquals(r.reservedBytes, 0);
});

Deno.test("Reassembler accepts a resent chunk again and keeps two messages apart", () => {
  const r = new Reassembler({ maxMessageBytes: 1000, maxBufferedBytes: 1000 });
  const a = bytes(30, 1);
  const b = bytes(30, 2);
  const pa = splitPayload(a, 10);
  const pb = splitPayload(b, 10);
  assertEquals(r.add({ id: "a", index: 0, count: 3, total: 30 }, pa[0]).status, "stored");
  assertEquals(r.add({ id: "b", index: 0, count: 3, total: 30 }, pb[0]).status, "stored");
  assertEquals(r.add({ id: "a", index: 0, count: 3, total: 30 }, pa[0]).status, "stored");
  assertEquals(r.add({ id: "a", index: 1, count: 3, total: 30 }, pa[1]).status, "stored");
  assertEquals(r.add({ id: "b", index: 1, count: 3, total: 30 }, pb[1]).status, "stored");
  const ra = r.add({ id: "a", index: 2, count: 3, total: 30 }, pa[2]);
  const rb = r.add({ id: "b", index: 2, count: 3, total: 30 }, pb[2]);
  assert(ra.status === "complete" && rb.status === "complete");
  assertEquals(ra.payload, a);
  assertEquals(rb.payload, b);
});

Deno.test("Reassembler asks for a resend from the first missing chunk", () => {
  const r = new Reassembler({ maxMessageBytes: 1000, maxBufferedBytes: 1000 });
  const p = splitPayload(bytes(40), 10);
  // A receiver that restarted sees chunk 2 first.
  assertEquals(r.add({ id: "m", index: 2, count: 4, total: 40 }, p[2]), {
    status: "gap",
    from: 0,
    error: "chunk 2 of message m arrived without the ones before it",
  });
  r.add({ id: "m", index: 0, count: 4, total: 40 }, p[0]);
  const gap = r.add({ id: "m", index: 3, count: 4, total: 40 }, p[3]);
  assertEquals(gap.status === "gap" ? gap.from : -1, 1);
});

Deno.test("Reassembler refuses a message larger than maxMessageBytes", () => {
  const r = new Reassembler({ maxMessageBytes: 100, maxBufferedBytes: 1000 });
  const o = r.add({ id: "big", index: 0, count: 2, total: 101 }, bytes(60));
  assertEquals(o, {
    status: "refused",
    error: "message big of 101 bytes exceeds the maxMessageSize of 100 bytes",
  });
  assertEquals(r.pending, 0);
});

Deno.test("Reassembler refuses chunks holding more than announced", () => {
  const r = new Reassembler({ maxMessageBytes: 100, maxBufferedBytes: 1000 });
  r.add({ id: "x", index: 0, count: 2, total: 20 }, bytes(15));
  assertEquals(r.add({ id: "x", index: 1, count: 2, total: 20 }, bytes(15)).status, "refused");
  assertEquals(r.reservedBytes, 0);
});

Deno.test("Reassembler is busy beyond its memory budget, and frees it when a set completes", () => {
  const r = new Reassembler({ maxMessageBytes: 100, maxBufferedBytes: 150 });
  r.add({ id: "a", index: 0, count: 2, total: 100 }, bytes(50));
  const busy = r.add({ id: "b", index: 0, count: 2, total: 100 }, bytes(50));
  assertEquals(busy.status, "busy");
  assertEquals(r.reservedBytes, 100);
  assertEquals(r.add({ id: "a", index: 1, count: 2, total: 100 }, bytes(50)).status, "complete");
  assertEquals(r.add({ id: "b", index: 0, count: 2, total: 100 }, bytes(50)).status, "stored");
});

Deno.test("Reassembler drops an incomplete message after the idle timeout", () => {
  let now = 1000;
  const r = new Reassembler({
    maxMessageBytes: 100,
    maxBufferedBytes: 100,
    idleTimeoutMs: 5000,
    now: () => now,
  });
  r.add({ id: "slow", index: 0, count: 2, total: 20 }, bytes(10));
  now += 4000;
  assertEquals(r.sweep(), []);
  now += 2000;
  assertEquals(r.sweep(), ["slow"]);
  assertEquals(r.pending, 0);
  assertEquals(r.reservedBytes, 0);
  // Its last chunk alone is now a gap, not a wrong message.
  const late = r.add({ id: "slow", index: 1, count: 2, total: 20 }, bytes(10));
  assertEquals(late.status, "gap");
});
