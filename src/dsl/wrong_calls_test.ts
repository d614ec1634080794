import { fileURLToPath } from "node:url";
import { assert } from "../../test/assert.ts";

Deno.test("deno check: every wrong call in testdata/wrong_calls.ts is a type error", async () => {
  const file = fileURLToPath(new URL("./testdata/wrong_calls.ts", import.meta.url));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--no-lock", file],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  // An `@ts-expect-error` on a line that type-checks fails as "Unused '@ts-expect-error'".
  assert(out.success, `deno check failed:\n${text}`);
  const markers = (await Deno.readTextFile(file)).match(/@ts-expect-error/g)?.length ?? 0;
  assert(markers >= 20, `only ${markers} wrong calls`);
});
