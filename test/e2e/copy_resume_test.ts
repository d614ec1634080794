/**
 * End-to-end tests of copies that go on after an interruption: a kill -9 of the destination or
 * of the source, and a broker outage, each mid-copy; what had arrived is not sent again.
 */
import { join } from "node:path";
import { connect, to } from "../../mod.ts";
import { assert, assertEquals } from "../assert.ts";
import { type Agent, type Fleet, waitFor } from "../harness.ts";
import { arriving, copyFleet, opts, randomBytes, sha256 } from "./copy_support.ts";

/** How an interrupted copy ended: its chunks sent again, its resumptions, its report. */
interface Resumed {
  resent: number;
  resumptions: number;
  output: string;
}

/**
 * Copies 4 MiB between central and ship1 (`toShip1`: central → ship1, else ship1 → central), 64
 * chunks of 64 KiB at 1 MiB/s (about four seconds), calls `interrupt` once half the file has
 * arrived, and checks that the copy still ends with the file in place, whole.
 */
async function interruptedCopy(
  toShip1: boolean,
  interrupt: (fleet: Fleet, ship1: Agent) => Promise<void>,
): Promise<Resumed> {
  const { fleet, central, inbox } = await copyFleet(["ship1"]);
  try {
    const ship1 = fleet.get("ship1");
    const [from, target] = toShip1 ? [inbox, ship1.dir] : [ship1.dir, inbox];
    const content = randomBytes(4 * 1024 * 1024);
    const src = join(from, "big.bin");
    await Deno.writeFile(src, content);
    const steward = await connect({ socket: central.socket });
    const options = { chunkBytes: 65536, maxBytesPerSecond: 1024 * 1024 };
    const copy = steward.run(
      toShip1
        ? to("central").copy(src).to("ship1", join(target, "big.bin"), options).for(120)
        : to("ship1").copy(src).to("central", join(target, "big.bin"), options).for(120),
    );
    await waitFor(() => arriving(target) >= 2 * 1024 * 1024, 30_000, "half the file");
    await interrupt(fleet, ship1);
    const [r] = await copy;
    steward.close();
    assertEquals(r.ok, true, r.error);
    assertEquals(sha256(await Deno.readFile(join(target, "big.bin"))), sha256(content));
    const m = /64 chunks \((\d+) sent again\), (\d+) resumptions/.exec(r.output);
    assert(m, r.output);
    return { resent: Number(m[1]), resumptions: Number(m[2]), output: r.output };
  } finally {
    await fleet.stop();
  }
}

Deno.test(
  "kill -9 of the destination mid-copy: once it is back the copy goes on from the last chunk " +
    "it took, without sending again what arrived",
  opts,
  async () => {
    const r = await interruptedCopy(true, async (_fleet, ship1) => {
      await ship1.kill9();
      const arrived = arriving(ship1.dir);
      assert(arrived > 0 && arrived < 4 * 1024 * 1024, `${arrived} bytes had arrived`);
      await ship1.restart();
    });
    // The chunks in flight when ship1 died (four, and those sent after one of them before
    // its refusal came back) go twice: far fewer than the 32 or more that had arrived.
    assert(r.resent < 16, `${r.resent} chunks sent again: ${r.output}`);
    assert(r.resumptions >= 1, "the copy went on after an interruption");
  },
);

Deno.test(
  "kill -9 of the source mid-copy: the restarted agent goes on with the copy and answers it",
  opts,
  async () => {
    const r = await interruptedCopy(false, async (_fleet, ship1) => {
      await ship1.kill9();
      await ship1.restart();
    });
    assert(r.resent < 16, `${r.resent} chunks sent again: ${r.output}`);
    assert(r.resumptions >= 1, "the copy went on from where it stood");
  },
);

Deno.test(
  "a broker outage mid-copy: the copy waits and goes on from where it stood once it is back",
  opts,
  async () => {
    const r = await interruptedCopy(true, async (fleet) => {
      await fleet.broker.stop();
      await new Promise((r) => setTimeout(r, 2000));
      await fleet.broker.restart();
    });
    // The four in flight when the broker went: tried again in order once it is back, with
    // nothing sent past them before they are answered.
    assert(r.resent < 8, `${r.resent} chunks sent again: ${r.output}`);
    assert(r.resumptions >= 1, "the copy went on after the outage");
  },
);
