/**
 * `steward -approveKey` / `-revokeKey` against a running central: each waits for the outcome,
 * prints it and exits non-zero when it failed.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertMatch } from "../assert.ts";
import { type Agent, Fleet, ROOT } from "../harness.ts";
import { AGENT_ENTRY, agentDenoFlags } from "../../src/permissions.ts";
import { keyFingerprint } from "../../src/security/fingerprint.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Runs the agent binary as an operator would, with `agent`'s CONFIG_FOLDER. */
async function operator(agent: Agent, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...agentDenoFlags(), join(ROOT, AGENT_ENTRY), ...args],
    cwd: agent.dir,
    env: { CONFIG_FOLDER: join(agent.dir, "etc"), NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  return { code: out.code, stdout, stderr };
}

// A well-formed fingerprint that is no pending key's.
const SOME_FINGERPRINT = await keyFingerprint(btoa(String.fromCharCode(...new Uint8Array(32))));

Deno.test(
  "-approveKey/-revokeKey print what central did and exit 0, or why not and exit 1",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      await fleet.introduce();
      const unknown = await operator(central, `-approveKey=ship9:${SOME_FINGERPRINT}`);
      assertEquals(unknown.code, 1, unknown.stderr);
      assertMatch(
        unknown.stderr,
        /steward: cannot approve the key of ship9: no pending key of ship9/,
      );
      const revokeUnknown = await operator(central, "-revokeKey=ship9");
      assertEquals(revokeUnknown.code, 1, revokeUnknown.stderr);
      assertMatch(revokeUnknown.stderr, /cannot revoke the key of ship9: no key of ship9 is known/);
      const revoked = await operator(central, "-revokeKey=ship1");
      assertEquals(revoked.code, 0, revoked.stderr);
      assertMatch(revoked.stdout, /revoked the key of ship1/);
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "-approveKey exits 1 saying central did not answer when the broker is down",
  opts,
  async () => {
    const fleet = await Fleet.start(["central"]);
    try {
      const central = fleet.get("central");
      await fleet.broker.stop();
      const unreached = await operator(central, `-approveKey=ship9:${SOME_FINGERPRINT}`);
      assertEquals(unreached.code, 1, unreached.stderr);
      assertMatch(unreached.stderr, /central did not answer within 15 s \(is it running/);
      await central.stop();
      const noAgent = await operator(central, `-approveKey=ship9:${SOME_FINGERPRINT}`);
      assertEquals(noAgent.code, 1, noAgent.stderr);
      assertMatch(noAgent.stderr, /steward: cannot ask central: /);
    } finally {
      await fleet.stop();
    }
  },
);
