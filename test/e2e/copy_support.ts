/**
 * What the copy tests share: a fleet whose central takes copies into a folder, file contents and
 * their hashes, and the progress of a copy seen from its destination's folder.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Acl } from "../../src/security/acl.ts";
import { HARMLESS_METHODS } from "../../src/security/acl.ts";
import { Agent, Fleet } from "../harness.ts";

/** Deno's sanitizers off: agents and brokers outlive a test's own ops. */
export const opts = { sanitizeOps: false, sanitizeResources: false };

/** Central's ACL: everything from itself, and copies from `ships` into `folder` only. */
export function centralAcl(folder: string, ships: string[]): Acl {
  return {
    version: 1,
    rules: [
      {
        from: ["central"],
        methods: ["*"],
        commands: [{ executable: "*" }],
        paths: ["/"],
        writePaths: ["/"],
        hosts: ["*"],
      },
      { from: ships, methods: ["REQCopyDst"], writePaths: [folder] },
      { from: ["*"], methods: [...HARMLESS_METHODS] },
    ],
  };
}

/** A fleet whose central takes copies from `allowed` (ship1) only, into `<central>/inbox`. */
export async function copyFleet(
  ships: string[],
  allowed = ["ship1"],
): Promise<{ fleet: Fleet; central: Agent; inbox: string }> {
  const fleet = await Fleet.start([]);
  const dir = await Deno.makeTempDir({ prefix: "steward-central-" });
  const inbox = join(dir, "inbox");
  await Deno.mkdir(inbox);
  await Deno.mkdir(join(dir, "etc"));
  await Deno.writeTextFile(
    join(dir, "etc", "acl.json"),
    JSON.stringify(centralAcl(inbox, allowed)),
  );
  const central = await Agent.start("central", { dir, broker: fleet.broker.address });
  fleet.agents.set("central", central);
  await Promise.all(ships.map((s) => fleet.add(s)));
  return { fleet, central, inbox };
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

/** The size of the temporary file of a copy arriving in `folder`, or 0. */
export function arriving(folder: string): number {
  for (const e of Deno.readDirSync(folder)) {
    if (e.name.includes(".steward-copy-")) return Deno.statSync(join(folder, e.name)).size;
  }
  return 0;
}
