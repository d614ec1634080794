import { assertEquals } from "../../test/assert.ts";
import { FLEET_SEND_GRACE_MS, FleetSends } from "./fleet_sends.ts";

Deno.test("FleetSends: a node missed a send only once the send is settled and it was among its nodes", () => {
  const sends = new FleetSends();
  const g = FLEET_SEND_GRACE_MS;
  assertEquals(sends.missed("ship1", -1, 0), false, "nothing sent yet");
  sends.record(3, ["ship1"], 0);
  assertEquals(sends.missed("ship1", 2, g - 1), false, "still on its way");
  assertEquals(sends.missed("ship1", 2, g), true);
  assertEquals(sends.missed("ship1", 3, g), false, "it holds it");
  assertEquals(sends.missed("ship2", -1, g), false, "approved since: the next send brings it");
  sends.record(5, ["ship1", "ship2"], g + 1000);
  // Version 5 is not settled yet: the judge is still version 3.
  assertEquals(sends.missed("ship2", -1, g + 2000), false);
  assertEquals(sends.missed("ship1", 4, g + 2000), false);
  assertEquals(sends.missed("ship2", -1, 2 * g + 1000), true);
  sends.record(4, ["ship3"], 3 * g); // Older than the newest: ignored.
  assertEquals(sends.missed("ship3", -1, 5 * g), false);
});
