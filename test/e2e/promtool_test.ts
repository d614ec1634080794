import { assertEquals } from "../assert.ts";
import { Fleet, freePort, waitFor } from "../harness.ts";
import { findPromtool } from "../promtool.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const promtool = await findPromtool();
if (typeof promtool !== "string") console.error(`promtool_test: skipped: ${promtool.skipped}`);

Deno.test({
  name: "/metrics of a live agent passes `promtool check metrics`",
  ignore: typeof promtool !== "string",
  ...opts,
  async fn() {
    const port = freePort();
    const fleet = await Fleet.start(["central", "ship1"], {
      flags: { central: [`-promHostAndPort=127.0.0.1:${port}`], ship1: ["-startPubREQHello=1"] },
    });
    try {
      // A few messages and hellos, so that labelled series and histograms are exported too.
      await fleet.get("central").send([{ toNode: "ship1", method: "REQPing" }]);
      const text = await waitFor(
        async () => {
          const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          return t.includes('steward_hello_age_seconds{node="ship1"}') ? t : "";
        },
        15_000,
        "a scrape with ship1's hello",
      );
      const check = new Deno.Command(promtool as string, {
        args: ["check", "metrics"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = check.stdin.getWriter();
      await writer.write(new TextEncoder().encode(text));
      await writer.close();
      const out = await check.output();
      const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assertEquals(said.trim(), "");
      assertEquals(out.code, 0);
    } finally {
      await fleet.stop();
    }
  },
});
