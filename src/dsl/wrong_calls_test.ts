import { fileURLToPath } from "node:url";
import { assert } from "../../test/assert.ts";
import { denoCheck } from "../../test/deno_check.ts";

Deno.test("deno check: every wrong call in testdata/wrong_calls.ts is a type error", async () => {
  const file = fileURLToPath(new URL("./testdata/wrong_calls.ts", import.meta.url));
  const { success, stderr: text } = await denoCheck(file);
  assert(success, `deno check failed:\n${text}`);
  const markers = (await Deno.readTextFile(file)).match(/@ts-expect-error/g)?.length ?? 0;
  assert(markers >= 20, `only ${markers} wrong calls`);
});
