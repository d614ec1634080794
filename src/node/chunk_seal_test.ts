import { assert, assertEquals } from "../../test/assert.ts";
import { checkChunkSeal, type ChunkSealFields, parseChunkSeal, sha256Hex } from "./chunk_seal.ts";

const data = new TextEncoder().encode("chunk bytes");
const info = { id: "0000000001abcd", index: 1, count: 3, total: 30 };

async function fields(overrides: Partial<ChunkSealFields> = {}): Promise<ChunkSealFields> {
  return {
    ...info,
    fromNode: "ship1",
    toNode: "central",
    subject: "central.REQToFile.EventACK",
    sha256: await sha256Hex(data),
    ...overrides,
  };
}

const chunk = { info, toNode: "central", subject: "central.REQToFile.EventACK", data };

Deno.test("parseChunkSeal() reads a signed seal and keeps the raw object it was signed as", async () => {
  const raw = { ...await fields(), signedAt: 1, signature: "c2ln" };
  const seal = parseChunkSeal(JSON.stringify(raw));
  assert(typeof seal !== "string", String(seal));
  assertEquals(seal.fields, await fields());
  assertEquals(seal.raw, raw);
});

Deno.test("parseChunkSeal() refuses JSON that is not a seal, extra members and bad node names", async () => {
  assertEquals(parseChunkSeal("{"), "malformed Steward-Chunk-Seal header: not JSON");
  const ok = { ...await fields(), signedAt: 1, signature: "c2ln" };
  for (const bad of [{ ...ok, extra: 1 }, { ...ok, fromNode: "../x" }, { ...ok, index: -1 }]) {
    assertEquals(
      parseChunkSeal(JSON.stringify(bad)),
      "malformed Steward-Chunk-Seal header: wrong fields",
    );
  }
});

Deno.test("checkChunkSeal() accepts the chunk its seal names", async () => {
  assertEquals(await checkChunkSeal(await fields(), chunk), undefined);
});

Deno.test("checkChunkSeal() refuses another place, receiver, subject or content", async () => {
  const problems = [
    await checkChunkSeal(await fields({ index: 0 }), chunk),
    await checkChunkSeal(await fields({ id: "0000000002abcd" }), chunk),
    await checkChunkSeal(await fields({ toNode: "ship2" }), chunk),
    await checkChunkSeal(await fields({ subject: "central.REQToFileAppend.EventACK" }), chunk),
    await checkChunkSeal(await fields({ sha256: "0".repeat(64) }), chunk),
  ];
  assertEquals(problems.map((p) => p?.replace(/:.*/, "")), [
    "chunk 1 of message 0000000001abcd refused",
    "chunk 1 of message 0000000001abcd refused",
    "chunk 1 of message 0000000001abcd refused",
    "chunk 1 of message 0000000001abcd refused",
    "chunk 1 of message 0000000001abcd refused",
  ]);
});
