/**
 * End-to-end tests of copies that go on after an interruption: a kill -9 of the destination or
 * of the source, and a broker outage, each mid-copy; what had arrived is not sent again.
 */
import { join } from "node:path";
import { connect, to } from "../../mod.ts";
import { assert, assertEquals } from "../assert.ts";
import { waitFor } from "../harness.ts";
import { arriving, copyFleet, opts, randomBytes, sha256 } from "./copy_support.ts";

Deno.test(
  "kill -9 of the destination mid-copy: once it is back the copy goes on from the last chunk " +
    "it took, without sending again what arrived",
  opts,
  async () => {
    const { fleet, central, inbox } = await copyFleet(["ship1"]);
    try {
      const ship1 = fleet.get("ship1");
      const content = randomBytes(4 * 1024 * 1024);
      const src = join(inbox, "big.bin");
      await Deno.writeFile(src, content);
      const steward = await connect({ socket: central.socket });
      // 64 chunks of 64 KiB at 1 MiB/s: about four seconds, long enough to kill ship1 inside.
      const copy = steward.run(
        to("central").copy(src).to("ship1", join(ship1.dir, "big.bin"), {
          chunkBytes: 65536,
          maxBytesPerSecond: 1024 * 1024,
        }).for(120),
      );
      await waitFor(() => arriving(ship1.dir) >= 2 * 1024 * 1024, 30_000, "half the file");
      await ship1.kill9();
      const arrived = arriving(ship1.dir);
      assert(arrived > 0 && arrived < content.length, `${arrived} bytes had arrived`);
      await ship1.restart();
      const [r] = await copy;
      assertEquals(r.ok, true, r.error);
      assertEquals(sha256(await Deno.readFile(join(ship1.dir, "big.bin"))), sha256(content));
      const m = /64 chunks \((\d+) sent again\), (\d+) resumptions/.exec(r.output);
      assert(m, r.output);
      // The chunks in flight when ship1 died (four, and those sent after one of them before
      // its refusal came back) go twice: far fewer than the 32 or more that had arrived.
      assert(Number(m[1]) < 16, `${m[1]} chunks sent again: ${r.output}`);
      assert(Number(m[2]) >= 1, "the copy went on after an interruption");
      steward.close();
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "kill -9 of the source mid-copy: the restarted agent goes on with the copy and answers it",
  opts,
  async () => {
    const { fleet, central, inbox } = await copyFleet(["ship1"]);
    try {
      const ship1 = fleet.get("ship1");
      const content = randomBytes(4 * 1024 * 1024);
      const src = join(ship1.dir, "big.bin");
      await Deno.writeFile(src, content);
      const steward = await connect({ socket: central.socket });
      const copy = steward.run(
        to("ship1").copy(src).to("central", join(inbox, "big.bin"), {
          chunkBytes: 65536,
          maxBytesPerSecond: 1024 * 1024,
        }).for(120),
      );
      await waitFor(() => arriving(inbox) >= 2 * 1024 * 1024, 30_000, "half the file");
      await ship1.kill9();
      await ship1.restart();
      const [r] = await copy;
      assertEquals(r.ok, true, r.error);
      assertEquals(sha256(await Deno.readFile(join(inbox, "big.bin"))), sha256(content));
      const m = /64 chunks \((\d+) sent again\), (\d+) resumptions/.exec(r.output);
      assert(m, r.output);
      assert(Number(m[1]) < 16, `${m[1]} chunks sent again: ${r.output}`);
      assert(Number(m[2]) >= 1, "the copy went on from where it stood");
      steward.close();
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "a broker outage mid-copy: the copy waits and goes on from where it stood once it is back",
  opts,
  async () => {
    const { fleet, central, inbox } = await copyFleet(["ship1"]);
    try {
      const ship1 = fleet.get("ship1");
      const content = randomBytes(4 * 1024 * 1024);
      const src = join(inbox, "big.bin");
      await Deno.writeFile(src, content);
      const steward = await connect({ socket: central.socket });
      const copy = steward.run(
        to("central").copy(src).to("ship1", join(ship1.dir, "big.bin"), {
          chunkBytes: 65536,
          maxBytesPerSecond: 1024 * 1024,
        }).for(120),
      );
      await waitFor(() => arriving(ship1.dir) >= 2 * 1024 * 1024, 30_000, "half the file");
      await fleet.broker.stop();
      await new Promise((r) => setTimeout(r, 2000));
      await fleet.broker.restart();
      const [r] = await copy;
      assertEquals(r.ok, true, r.error);
      assertEquals(sha256(await Deno.readFile(join(ship1.dir, "big.bin"))), sha256(content));
      const m = /64 chunks \((\d+) sent again\), (\d+) resumptions/.exec(r.output);
      assert(m, r.output);
      // The four in flight when the broker went: tried again in order once it is back, with
      // nothing sent past them before they are answered.
      assert(Number(m[1]) < 8, `${m[1]} chunks sent again: ${r.output}`);
      assert(Number(m[2]) >= 1, "the copy went on after the outage");
      steward.close();
    } finally {
      await fleet.stop();
    }
  },
);
