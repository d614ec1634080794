import { assert, assertEquals } from "../../test/assert.ts";
import { signatureBounds, signatureCost } from "./signature_cost.ts";

Deno.test("signatureBounds(): free signatures leave half of raw throughput, the transport's floor", () => {
  // 4 NATS messages per Steward round trip against raw's 2.
  const free = signatureBounds(
    { signUs: 0, verifyUs: 0, ackSignUs: 0, ackVerifyUs: 0 },
    10_000,
    0.2,
  );
  assertEquals(free.ratioRpsBound, 0.5);
  assertEquals(free.ratioRpsBoundSignedAcks, 0.5);
  assertEquals(free.p50RatioFloor, 1);
});

Deno.test("signatureBounds(): each signed message adds its sign and verify time", () => {
  // Raw round trip 0.1 ms; sign + verify 0.1 ms per message, 0.05 ms per ACK.
  const cost = { signUs: 40, verifyUs: 60, ackSignUs: 20, ackVerifyUs: 30 };
  const b = signatureBounds(cost, 10_000, 0.2);
  assertEquals(b.ratioRpsBound.toFixed(4), (0.1 / (0.2 + 0.2)).toFixed(4));
  assertEquals(b.ratioRpsBoundSignedAcks.toFixed(4), (0.1 / (0.2 + 0.2 + 0.1)).toFixed(4));
  assertEquals(b.p50RatioFloor.toFixed(4), (0.4 / 0.2).toFixed(4));
});

Deno.test("signatureCost() times the agent's own signing and verification", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cost = await signatureCost(dir, 20);
    assert(Object.values(cost).every((us) => us > 0), JSON.stringify(cost));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
