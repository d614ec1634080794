import { join } from "node:path";
import { assertMatch } from "../assert.ts";
import { Agent, Fleet, readOr, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const MOD = new URL("../../mod.ts", import.meta.url).href;

Deno.test(
  "a sandboxed agent with -playbooksFolder runs a playbook on its cron schedule " +
    "(Deno.cron, real clock) and reports a failing one to central",
  opts,
  async () => {
    const folder = await Deno.makeTempDir({ prefix: "steward-hosted-" });
    await Deno.writeTextFile(
      join(folder, "tick.ts"),
      `import { playbook, to, toFileAppend } from "${MOD}";
export default playbook({
  name: "tick",
  schedule: "* * * * *",
  async run(steward) {
    const [r] = await steward.run(to("ship1").cli("echo tick from ship1").reply(toFileAppend("cron/ticks.log")));
    if (!r.ok) throw new Error(r.error);
  },
});
`,
    );
    await Deno.writeTextFile(
      join(folder, "broken.ts"),
      `import { playbook } from "${MOD}";
export default playbook({
  name: "broken",
  schedule: "* * * * *",
  run() {
    throw new Error("broken on purpose");
  },
});
`,
    );
    const fleet = await Fleet.start(["ship1"]);
    try {
      // Hosted on central, its runs go through central's own agent like an operator's; central
      // runs in the sandbox `deno task agent` gives it, which must allow hosting playbooks.
      const central = await Agent.start("central", {
        broker: fleet.broker.address,
        flags: [`-playbooksFolder=${folder}`],
        sandbox: true,
      });
      fleet.agents.set("central", central);
      // Deno.cron fires at the start of each minute: up to 60 s, plus the run itself.
      const ticks = await waitFor(
        () => readOr(central.file("cron", "ship1", "ticks.log")),
        80_000,
        "the scheduled run's output",
      ).catch((err) => {
        throw new Error(`${err.message}\ncentral printed:\n${central.output}`);
      });
      assertMatch(ticks, /^tick from ship1\n/);
      const log = await waitFor(
        async () => {
          const l = await central.errorLog("central");
          return l.includes("broken") ? l : "";
        },
        20_000,
        "the failed run in central's error log",
      );
      assertMatch(
        log,
        /node: central, playbook broken\.ts \(broken\) failed: exit code 1: Error: broken on purpose/,
      );
      assertMatch(central.output, /playbook tick\.ts \(tick\) scheduled "\* \* \* \* \*" \(UTC\)/);
    } finally {
      await fleet.stop();
      await Deno.remove(folder, { recursive: true }).catch(() => {});
    }
  },
);
