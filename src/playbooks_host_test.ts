import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../test/assert.ts";
import type { CronRegister } from "./dsl/playbook.ts";
import { hostPlaybooks } from "./playbooks_host.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

/** Playbook files for the host to find; they talk to no agent, they only run. */
const FILES: Record<string, string> = {
  "slow.ts": `import { playbook } from "${MOD}";
export default playbook({
  name: "slow",
  schedule: "*/5 * * * *",
  async run() {
    await new Promise((r) => setTimeout(r, 1500));
  },
});`,
  "broken.ts": `import { playbook } from "${MOD}";
export default playbook({
  name: "broken",
  schedule: "0 3 * * *",
  run() {
    throw new Error("broken on purpose");
  },
});`,
  "escape.ts": `import { playbook } from "${MOD}";
export default playbook({
  name: "escape",
  schedule: "0 * * * *",
  async run() {
    await Deno.readTextFile("/etc/hostname");
  },
});`,
  "manual.ts": `import { playbook } from "${MOD}";
export default playbook({ name: "manual", run() {} });`,
  "not_a_playbook.ts": `export const schedule = "* * * * *";`,
  "helper_test.ts": `Deno.test("not a playbook", () => {});`,
};

Deno.test(
  "hostPlaybooks() runs scheduled playbooks in subprocesses, reports failures and skips overlaps",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const folder = await Deno.makeTempDir({ prefix: "steward-playbooks-" });
    for (const [name, text] of Object.entries(FILES)) {
      await Deno.writeTextFile(join(folder, name), text);
    }
    // Stands in for the agent's socket: these playbooks never send anything.
    const socketPath = join(folder, "steward.sock");
    await Deno.writeTextFile(socketPath, "");
    const jobs = new Map<string, { schedule: string; fire: () => Promise<void> | void }>();
    let registered = () => {};
    const allRegistered = new Promise<void>((r) => registered = r);
    const cron: CronRegister = (name, schedule, options, handler) => {
      jobs.set(name, { schedule, fire: handler });
      if (jobs.size === 3) registered();
      return new Promise((r) => options.signal?.addEventListener("abort", () => r()));
    };
    const errors: string[] = [];
    const logs: string[] = [];
    const stop = new AbortController();
    const hosting = hostPlaybooks({
      folder,
      socketPath,
      nodeName: "ship1",
      reportError: (t) => errors.push(t),
      log: (l) => logs.push(l),
      cron,
    }, stop.signal);
    try {
      await allRegistered;
      assertEquals(
        [...jobs].map(([name, j]) => [name, j.schedule]).sort(),
        [
          ["steward ship1 broken", "0 3 * * *"],
          ["steward ship1 escape", "0 * * * *"],
          ["steward ship1 slow", "*/5 * * * *"],
        ],
      );
      assertMatch(
        errors.join("\n"),
        /playbook not_a_playbook\.ts cannot be loaded \(exit code 3\)/,
      );

      // Time injected: fire the slow one twice at once; the second is skipped.
      const slow = jobs.get("steward ship1 slow")!;
      await Promise.all([slow.fire(), new Promise((r) => setTimeout(r, 200)).then(slow.fire)]);
      assertMatch(logs.join("\n"), /playbook slow\.ts \(slow\) ran in \d+ ms/);
      assertMatch(
        errors.join("\n"),
        /playbook slow\.ts \(slow\) skipped a run: the previous run is still running/,
      );

      await jobs.get("steward ship1 broken")!.fire();
      assertMatch(
        errors.join("\n"),
        /playbook broken\.ts \(broken\) failed: exit code 1: .*broken on purpose/,
      );

      // Hosted runs may read their folder and talk to the socket, nothing else.
      await jobs.get("steward ship1 escape")!.fire();
      assertMatch(errors.join("\n"), /playbook escape\.ts \(escape\) failed: .*NotCapable/);
      assert(!errors.some((e) => e.includes("manual")), errors.join("\n"));
    } finally {
      stop.abort();
      await hosting;
      await Deno.remove(folder, { recursive: true });
    }
  },
);
