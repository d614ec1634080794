/**
 * End-to-end tests of file copies between nodes (`REQCopySrc`/`REQCopyDst`), with a real
 * nats-server and sandboxed agent processes: both directions with central, integrity, a kill -9
 * of the destination mid-copy, refusals.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { connect, to } from "../../mod.ts";
import type { Acl } from "../../src/security/acl.ts";
import { HARMLESS_METHODS } from "../../src/security/acl.ts";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Agent, Fleet, readOr, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Central's ACL: everything from itself, and copies from `ships` into `folder` only. */
function centralAcl(folder: string, ships: string[]): Acl {
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

/** A fleet whose central takes copies from `ships` into `<central>/inbox`. */
async function copyFleet(
  ships: string[],
): Promise<{ fleet: Fleet; central: Agent; inbox: string }> {
  const fleet = await Fleet.start([]);
  const dir = await Deno.makeTempDir({ prefix: "steward-central-" });
  const inbox = join(dir, "inbox");
  await Deno.mkdir(inbox);
  await Deno.mkdir(join(dir, "etc"));
  await Deno.writeTextFile(join(dir, "etc", "acl.json"), JSON.stringify(centralAcl(inbox, ships)));
  const central = await Agent.start("central", { dir, broker: fleet.broker.address });
  fleet.agents.set("central", central);
  await Promise.all(ships.map((s) => fleet.add(s)));
  return { fleet, central, inbox };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

Deno.test(
  "a file goes from ship1 to central and from central to ship1: whole, its hash checked, " +
    "its mode kept, no temporary file left",
  opts,
  async () => {
    const { fleet, central, inbox } = await copyFleet(["ship1"]);
    try {
      const ship1 = fleet.get("ship1");
      const content = randomBytes(300_000 + 17);
      const src = join(ship1.dir, "app.log");
      await Deno.writeFile(src, content, { mode: 0o640 });
      await Deno.chmod(src, 0o640);
      const steward = await connect({ socket: central.socket });
      // Chunks of 64 KiB: five of them, the last one short.
      const [up] = await steward.run(
        to("ship1").copy(src).to("central", join(inbox, "ship1-app.log"), { chunkBytes: 65536 })
          .for(60),
      );
      assertEquals(up.ok, true, up.error);
      assertMatch(up.output, new RegExp(`sha256 ${sha256(content)}, 5 chunks`));
      const got = await Deno.readFile(join(inbox, "ship1-app.log"));
      assertEquals(sha256(got), sha256(content));
      assertEquals((await Deno.stat(join(inbox, "ship1-app.log"))).mode! & 0o777, 0o640);
      assertEquals([...Deno.readDirSync(inbox)].map((e) => e.name), ["ship1-app.log"]);

      // The other way, into a folder made for it, relative to ship1's working folder.
      const [down] = await steward.run(
        to("central").copy(join(inbox, "ship1-app.log")).to("ship1", "conf/app.conf", {
          folderMode: "0750",
        }).for(60),
      );
      assertEquals(down.ok, true, down.error);
      assertEquals(
        sha256(await Deno.readFile(join(ship1.dir, "conf", "app.conf"))),
        sha256(content),
      );
      assertEquals((await Deno.stat(join(ship1.dir, "conf"))).mode! & 0o777, 0o750);
      steward.close();
    } finally {
      await fleet.stop();
    }
  },
);
