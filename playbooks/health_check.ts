/**
 * A scheduled health check: every 5 minutes (UTC) it pings the nodes and fails when one does
 * not answer, so that an agent hosting it (`-playbooksFolder`) reports the failure to the
 * central error log.
 *
 *   deno run -A playbooks/health_check.ts                           # once, now
 *   deno run -A --unstable-cron playbooks/health_check.ts --cron    # on its schedule
 *
 * @module
 */
import { playbook, toNodes } from "../mod.ts";

const healthCheck = playbook({
  name: "health-check",
  schedule: "*/5 * * * *",
  timeoutSeconds: 120,
  async run(steward) {
    const pongs = await steward.run(
      toNodes(["ship1", "ship2"]).ping().timeout({ ack: 3, retries: 2 }),
    );
    for (const p of pongs) console.log(`${p.node}: ${p.ok ? `up (${p.timings.ms} ms)` : p.error}`);
    const down = pongs.filter((p) => !p.ok).map((p) => p.node);
    if (down.length > 0) throw new Error(`health check: no answer from ${down.join(", ")}`);
  },
});

export default healthCheck;

if (import.meta.main) await healthCheck.main();
