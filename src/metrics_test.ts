import { assertEquals } from "../test/assert.ts";
import { Metrics } from "./metrics.ts";

Deno.test("Metrics names only counters …_total, default metrics included (promtool's rule)", async () => {
  const m = await Metrics.open({ serve: true });
  const text = await m.registry!.metrics();
  const misnamed = [...text.matchAll(/^# TYPE (\S+_total) (\S+)$/gm)]
    .filter(([, , type]) => type !== "counter")
    .map(([, name, type]) => `${name} ${type}`);
  assertEquals(misnamed, []);
  // The counts of the gauges that were dropped are still there, by type.
  assertEquals(text.includes("# TYPE steward_nodejs_active_handles gauge"), true);
});
