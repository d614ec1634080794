/**
 * End-to-end tests of file copies between nodes (`REQCopySrc`/`REQCopyDst`), with a real
 * nats-server and sandboxed agent processes: both directions with central, toNodes and ship to
 * ship, refusals, 1 GB with flat memory. Resumption is in copy_resume_test.ts.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { connect, to, toNodes } from "../../mod.ts";
import type { Acl } from "../../src/security/acl.ts";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { readOr, waitFor } from "../harness.ts";
import { centralAcl, copyFleet, opts, randomBytes, sha256 } from "./copy_support.ts";

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

Deno.test(
  "toNodes: each ship sends its own file to central ({node} in the path); ship1 to ship2 " +
    "directly, once ship2's ACL lets ship1 write there",
  opts,
  async () => {
    const { fleet, central, inbox } = await copyFleet(["ship1", "ship2"], ["ship1", "ship2"]);
    try {
      const [ship1, ship2] = [fleet.get("ship1"), fleet.get("ship2")];
      await Deno.writeTextFile(join(ship1.dir, "app.log"), "from ship1\n");
      await Deno.writeTextFile(join(ship2.dir, "app.log"), "from ship2\n");
      const steward = await connect({ socket: central.socket });
      // A relative source is each ship's own file, in its working folder.
      const results = await steward.run(
        toNodes(["ship1", "ship2"]).copy("app.log").to("central", join(inbox, "{node}.log")).for(
          60,
        ),
      );
      assertEquals(results.map((r) => [r.node, r.ok, r.error]), [
        ["ship1", true, undefined],
        ["ship2", true, undefined],
      ]);
      assertEquals(await readOr(join(inbox, "ship1.log")), "from ship1\n");
      assertEquals(await readOr(join(inbox, "ship2.log")), "from ship2\n");

      await fleet.introduce();
      const acl: Acl = {
        version: 1,
        rules: [
          { ...centralAcl(inbox, []).rules[0] },
          { from: ["ship1"], methods: ["REQCopyDst"], writePaths: [join(ship2.dir, "in")] },
        ],
      };
      await central.send({
        toNode: "ship2",
        method: "REQAclUpdate",
        data: JSON.stringify(acl),
        directory: "acl",
        fileName: "acl.log",
      });
      await waitFor(
        async () => (await readOr(central.file("acl", "ship2", "acl.log"))).includes("version 1"),
        15_000,
        "ship2's ACL",
      );
      const [r] = await steward.run(
        to("ship1").copy("app.log").to("ship2", "in/from-ship1.log", { folderMode: "0700" }).for(
          60,
        ),
      );
      assertEquals(r.ok, true, r.error);
      assertEquals(await readOr(join(ship2.dir, "in", "from-ship1.log")), "from ship1\n");
      steward.close();
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "refused: a node the destination's ACL does not name, a path outside its writePaths, " +
    "traversal, a folder link leading out, a target that is a link, a source the ACL does not let it read",
  opts,
  async () => {
    const { fleet, central, inbox } = await copyFleet(["ship1", "ship2"]);
    try {
      const ship1 = fleet.get("ship1");
      const src = join(ship1.dir, "app.log");
      await Deno.writeTextFile(src, "log line\n");
      const outside = await Deno.makeTempDir({ prefix: "steward-outside-" });
      await Deno.symlink(outside, join(inbox, "elsewhere"));
      await Deno.symlink(join(outside, "victim"), join(inbox, "link.log"));
      const steward = await connect({ socket: central.socket });
      const copyTo = async (from: string, path: string) => {
        const [r] = await steward.run(to(from).copy(src).to("central", path).for(30));
        assertEquals(r.ok, false, `${from} → ${path} was copied`);
        return r.error ?? "";
      };
      assertMatch(
        await copyTo("ship2", join(inbox, "x.log")),
        /node ship2 may not call REQCopyDst/,
      );
      assertMatch(
        await copyTo("ship1", join(central.dir, "x.log")),
        /may not write ".*x\.log"/,
      );
      assertMatch(
        await copyTo("ship1", `${inbox}/../x.log`),
        /may not write ".*x\.log"/,
      );
      assertMatch(await copyTo("ship1", join(inbox, "elsewhere", "x.log")), /may not write/);
      assertMatch(await copyTo("ship1", join(inbox, "link.log")), /symbolic link/);
      assertEquals([...Deno.readDirSync(outside)], []);
      assertEquals(await readOr(join(central.dir, "x.log")), "");

      // The source reads only what its own ACL lets the caller read: ship1 takes a narrower ACL.
      const acl: Acl = {
        version: 1,
        rules: [{ from: ["central"], methods: ["*"], paths: [join(ship1.dir, "logs")] }],
      };
      await central.send({
        toNode: "ship1",
        method: "REQAclUpdate",
        data: JSON.stringify(acl),
        directory: "acl",
        fileName: "acl.log",
      });
      await waitFor(
        async () => (await readOr(central.file("acl", "ship1", "acl.log"))).includes("version 1"),
        15_000,
        "ship1's ACL",
      );
      await Deno.mkdir(join(ship1.dir, "logs"));
      await Deno.symlink(src, join(ship1.dir, "logs", "app.log"));
      const [r] = await steward.run(
        to("ship1").copy(join(ship1.dir, "logs", "app.log")).to("central", join(inbox, "y.log"))
          .for(30),
      );
      assertEquals(r.ok, false);
      assertMatch(r.error ?? "", /may not copy ".*app\.log"/);
      steward.close();
      await Deno.remove(outside, { recursive: true });
    } finally {
      await fleet.stop();
    }
  },
);

/** Resident memory of process `pid` in bytes, from /proc (0 once it is gone). */
function rss(pid: number | undefined): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

Deno.test(
  "a 1 GB file (sparse, made here) goes from ship1 to central with both agents' memory flat",
  opts,
  async () => {
    const { fleet, central, inbox } = await copyFleet(["ship1"]);
    const peaks = { central: 0, ship1: 0 };
    let sampling = true;
    try {
      const ship1 = fleet.get("ship1");
      const src = join(ship1.dir, "huge.bin");
      const file = await Deno.open(src, { write: true, create: true });
      await file.truncate(1024 ** 3);
      await file.seek(1024 ** 3 - 5, Deno.SeekMode.Start);
      await file.write(new TextEncoder().encode("tail\n")); // Not only zeros.
      file.close();
      const sampler = (async () => {
        while (sampling) {
          peaks.central = Math.max(peaks.central, rss(central.pid));
          peaks.ship1 = Math.max(peaks.ship1, rss(ship1.pid));
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      const steward = await connect({ socket: central.socket });
      const [r] = await steward.run(
        to("ship1").copy(src).to("central", join(inbox, "huge.bin")).for(1800),
      );
      sampling = false;
      await sampler;
      assertEquals(r.ok, true, r.error);
      const expected = createHash("sha256");
      const zeros = new Uint8Array(1 << 20);
      for (let i = 0; i < 1023; i++) expected.update(zeros);
      const last = new Uint8Array(1 << 20);
      last.set(new TextEncoder().encode("tail\n"), last.length - 5);
      expected.update(last);
      assertMatch(r.output, new RegExp(`1073741824 bytes, sha256 ${expected.digest("hex")}`));
      assertEquals((await Deno.stat(join(inbox, "huge.bin"))).size, 1024 ** 3);
      // A generous bound: the agents hold a chunk or two, never the file.
      assert(peaks.central > 0 && peaks.central < 300 * 1024 ** 2, `central ${peaks.central} B`);
      assert(peaks.ship1 > 0 && peaks.ship1 < 300 * 1024 ** 2, `ship1 ${peaks.ship1} B`);
      steward.close();
    } finally {
      sampling = false;
      await fleet.stop();
    }
  },
);
