import { assertEquals } from "../../test/assert.ts";
import { distributionInterval, DistributionPacer } from "./distribution_pacer.ts";

Deno.test("distributionInterval() grows with the fleet, never under 2 s", () => {
  assertEquals(distributionInterval(0), 2000);
  assertEquals(distributionInterval(1000), 30_000);
  assertEquals(distributionInterval(50_000), 1_500_000);
});

Deno.test("DistributionPacer sends once for a burst, then waits out the interval since its last send", async () => {
  const sends: number[] = [];
  const t0 = Date.now();
  const pacer = new DistributionPacer(
    () => Promise.resolve(sends.push(Date.now())),
    () => {},
  );
  for (let i = 0; i < 50; i++) pacer.request();
  await new Promise((r) => setTimeout(r, 400));
  assertEquals(sends.length, 1);
  pacer.request(); // Within 2 s of that send: waits.
  await new Promise((r) => setTimeout(r, 400));
  assertEquals(sends.length, 1);
  pacer.close();
  // An operator's send counts too: the next approval waits from it.
  pacer.sent(10, t0 + 10_000);
  pacer.request();
  await new Promise((r) => setTimeout(r, 400));
  assertEquals(sends.length, 1);
  pacer.close();
});
