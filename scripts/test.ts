/**
 * `deno task test [suite]`: runs the unit tests beside the code and the end-to-end suites in
 * `test/`, then prints the totals alone on a line as `N passed, N failed`.
 * Suites: `all` (default), `unit`, `e2e`, `attacks`, `faults`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { FLEET_KEYS_ENV } from "../test/pki.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const suite = Deno.args[0] ?? "all";
const targets: Record<string, string[]> = {
  unit: ["src/", "scripts/bench/"],
  e2e: ["test/e2e/"],
  attacks: ["test/attacks/"],
  faults: ["test/faults/"],
  all: ["src/", "scripts/bench/", "test/e2e/", "test/attacks/", "test/faults/"],
};
const paths = targets[suite];
if (!paths) {
  console.error(`unknown suite "${suite}"; use one of ${Object.keys(targets).join(", ")}`);
  Deno.exit(2);
}
const existing = [];
for (const p of paths) {
  try {
    await Deno.stat(root + p);
    existing.push(p);
  } catch {
    // A suite folder that does not exist yet has no tests.
  }
}
// One folder of test-fleet keys for the whole run (see test/pki.ts), removed at the end.
const keys = await Deno.makeTempDir({ prefix: "steward-keys-" });
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", "--unstable-kv", "--unstable-cron", ...Deno.args.slice(1), ...existing],
  cwd: root,
  env: { NO_COLOR: "1", [FLEET_KEYS_ENV]: keys },
  stdout: "piped",
  stderr: "inherit",
}).spawn();
let passed = 0;
let failed = 0;
let tail = "";
const decoder = new TextDecoder();
for await (const chunk of child.stdout) {
  const text = decoder.decode(chunk, { stream: true });
  await Deno.stdout.write(chunk);
  tail = (tail + text).slice(-4000);
}
const status = await child.status;
await Deno.remove(keys, { recursive: true }).catch(() => {});
// Deno's summary: "ok | 12 passed (3 steps) | 0 failed (2s)"; steps are not counted twice.
const summary = [...tail.matchAll(/(?:ok|FAILED) \| (\d+) passed[^|]*\| (\d+) failed/g)].at(-1);
if (summary) {
  passed = Number(summary[1]);
  failed = Number(summary[2]);
}
if (!status.success && failed === 0) failed = 1; // e.g. a type error stopped the run
console.log(`\n${passed} passed, ${failed} failed`);
Deno.exit(status.success ? 0 : 1);
