import { assertEquals, assertRejects } from "../../test/assert.ts";
import { checkCron } from "./cron.ts";

Deno.test("checkCron() accepts the standard 5-field forms", () => {
  for (
    const s of [
      "* * * * *",
      "*/5 * * * *",
      "0 3 * * 1-5",
      "0,30 8-18/2 1 1,6,12 0",
      "59 23 31 12 7",
    ]
  ) {
    assertEquals(checkCron(` ${s} `), s);
  }
});

Deno.test("checkCron() names the field that is wrong", async () => {
  await assertRejects(() => checkCron("* * * *"), /expected 5 fields/);
  await assertRejects(() => checkCron("60 * * * *"), /minute: 60 is outside 0-59/);
  await assertRejects(() => checkCron("* 24 * * *"), /hour: 24 is outside 0-23/);
  await assertRejects(() => checkCron("* * 0 * *"), /day of month: 0 is outside 1-31/);
  await assertRejects(() => checkCron("* * * 5-2 *"), /month: range 5-2 runs backwards/);
  await assertRejects(() => checkCron("*/0 * * * *"), /step 0 must be at least 1/);
  await assertRejects(() => checkCron("@hourly"), /expected 5 fields/);
  await assertRejects(() => checkCron("a * * * *"), /minute: "a" is not a number/);
});
