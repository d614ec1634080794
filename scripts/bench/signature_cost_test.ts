import { assert, assertEquals } from "../../test/assert.ts";
import { signatureBounds, signatureCost } from "./signature_cost.ts";

Deno.test("signatureBounds(): free signatures leave half of raw throughput, the transport's floor", () => {
  // 4 NATS messages per Steward round trip against raw's 2.
  const free = signatureBounds({ signUs: 0, verifyUs: 0 }, 10_000, 0.2);
  assertEquals(free.ratioRpsBound, 0.5);
  assertEquals(free.ratioRpsBoundSignedAcks, 0.5);
  assertEquals(free.p50RatioFloor, 1);
});

Deno.test("signatureBounds(): each signed message adds its sign and verify time", () => {
  // Raw round trip 0.1 ms; sign + verify 0.1 ms per message.
  const b = signatureBounds({ signUs: 40, verifyUs: 60 }, 10_000, 0.2);
  assertEquals(b.ratioRpsBound.toFixed(4), (0.1 / (0.2 + 0.2)).toFixed(4));
  assertEquals(b.ratioRpsBoundSignedAcks.toFixed(4), (0.1 / (0.2 + 0.4)).toFixed(4));
  assertEquals(b.p50RatioFloor.toFixed(4), (0.4 / 0.2).toFixed(4));
});

Deno.test("signatureCost() times the agent's own signing and verification", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cost = await signatureCost(dir, 20);
    assert(cost.signUs > 0 && cost.verifyUs > 0, JSON.stringify(cost));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
