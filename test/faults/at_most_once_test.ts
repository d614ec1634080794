/**
 * Issue 5, point 2: a receiver executes a given message id at most once, even when the ACK was
 * lost and the sender resent it, and across restarts of the receiver; dedup records are pruned
 * after -dedupRetentionSeconds. The test is the sender itself, on a NATS connection of its own.
 */
import { connect, type NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import { assert, assertEquals } from "../assert.ts";
import { delay, Fleet, readOr, waitFor } from "../harness.ts";
import { fleetKeys, signedBy } from "../pki.ts";
import { testMessage } from "../message_fixture.ts";
import { verifyMessage } from "../../src/security/signature.ts";
import { explain, figure, OPTS } from "./support.ts";

const SUBJECT = "ship1.REQCliCommand.CommandACK";

/** A stamped REQCliCommand from "central" to ship1, as central would publish it (unsigned). */
function stamped(id: string, script: string, fileName: string): Record<string, unknown> {
  return testMessage({
    id,
    method: "REQCliCommand",
    methodArgs: ["bash", "-c", script],
    replyMethod: "REQToFileAppend",
    ACKTimeout: 5,
    retries: 0,
    replyACKTimeout: 5,
    replyRetries: 10,
    methodTimeout: 60,
    replyMethodTimeout: 10,
    directory: "amo",
    fileName,
    createdAt: Date.now(),
  });
}

interface Ack {
  id: string;
  ok: boolean;
  duplicate?: boolean;
  error?: string;
}

/**
 * Sends `message` and waits for its ACK, retrying while ship1 is (re)starting. Each send is
 * signed anew, as an agent re-signs each resend.
 */
async function request(nc: NatsConnection, message: Record<string, unknown>): Promise<Ack> {
  return await waitFor(
    async () => {
      const reply = await nc.request(SUBJECT, await signedBy("central", message), {
        timeout: 5000,
      });
      // ACKs are signed by the receiver: check it, then compare what they say.
      const raw = reply.json<Record<string, unknown>>();
      assert(await verifyMessage(raw, (await fleetKeys("ship1")).publicKey), "ACK not signed");
      const { signature: _s, signedAt: _t, ...ack } = raw;
      return ack as unknown as Ack;
    },
    60_000,
    "an ACK from ship1",
  );
}

function lines(text: string): number {
  return text.split("\n").filter((l) => l !== "").length;
}

Deno.test(
  "at most once: a resend after a lost ACK and after restarts of ship1 is ACKed as duplicate, run once",
  OPTS,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    const nc = await connect({ servers: fleet.broker.address });
    try {
      const central = fleet.get("central");
      const ship1 = fleet.get("ship1");
      const marker = `${ship1.dir}/ran.txt`;
      const id = `amo-${crypto.randomUUID()}`;
      const payload = stamped(id, `echo ran >> ${marker}; echo out`, "once.txt");

      // 1. The ACK is lost: published with no reply subject, so ship1's ACK goes nowhere.
      nc.publish(SUBJECT, await signedBy("central", payload));
      await waitFor(() => readOr(marker), 15_000, "first run");
      // 2. The sender resends: ACKed again, flagged duplicate, not run.
      const acks: Ack[] = [await request(nc, payload)];
      // Its result reaches central before ship1 stops: a clean stop would end the command (it
      // is then answered "interrupted" after the restart; test/faults/spool_test.ts).
      const replyFile = central.file("amo", "ship1", "once.txt");
      await waitFor(() => readOr(replyFile), 15_000, "the reply").catch(async (err) => {
        throw new Error(`${err.message}\n${await explain([id], [central, ship1])}`);
      });
      // 3. After a clean restart and after kill -9 of ship1: still a duplicate.
      await ship1.stop();
      await ship1.restart();
      acks.push(await request(nc, payload));
      await ship1.kill9();
      await ship1.restart();
      acks.push(await request(nc, payload));
      await delay(2000); // A second reply would show here.
      const reply = await readOr(replyFile);
      figure("at-most-once/lost-ack+restarts", {
        sent: 4,
        executed: lines(await readOr(marker)),
        duplicateAcks: acks.filter((a) => a.duplicate).length,
        replies: lines(reply),
      });
      for (const a of acks) assertEquals(a, { id, ok: true, duplicate: true });
      assertEquals(await readOr(marker), "ran\n");
      assertEquals(reply, "out\n");
    } finally {
      await nc.close();
      await fleet.stop();
    }
  },
);

Deno.test(
  "at most once: a command running at kill -9 of ship1 is never rerun; its result is collected after the restart",
  OPTS,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    const nc = await connect({ servers: fleet.broker.address });
    try {
      const central = fleet.get("central");
      const ship1 = fleet.get("ship1");
      const marker = `${ship1.dir}/started.txt`;
      const id = `amo-${crypto.randomUUID()}`;
      const payload = stamped(
        id,
        `echo started >> ${marker}; sleep 4; echo finished`,
        "int.txt",
      );
      assertEquals(await request(nc, payload), { id, ok: true });
      await waitFor(() => readOr(marker), 15_000, "the command to start");
      await ship1.kill9();
      await ship1.restart();
      const resent = await request(nc, payload);
      const reply = await waitFor(() => readOr(central.file("amo", "ship1", "int.txt")), 20_000);
      await delay(2000);
      figure("at-most-once/interrupted", {
        sent: 2,
        started: lines(await readOr(marker)),
        duplicateAcks: resent.duplicate ? 1 : 0,
        replies: lines(reply),
      });
      assertEquals(resent, { id, ok: true, duplicate: true });
      assertEquals(await readOr(marker), "started\n");
      // It went on while ship1 was down; its one result comes from the spool (see spool_test.ts
      // for a command whose process died too).
      assertEquals(reply, "finished\n");
    } finally {
      await nc.close();
      await fleet.stop();
    }
  },
);

Deno.test(
  "at most once: dedup records are pruned after -dedupRetentionSeconds (in process and after restart)",
  OPTS,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"], {
      // Ids must outlive the replay window: a resend after the retention is signed anew.
      flags: { ship1: ["-dedupRetentionSeconds=3", "-replayWindow=1"] },
    });
    const nc = await connect({ servers: fleet.broker.address });
    try {
      const ship1 = fleet.get("ship1");
      const marker = `${ship1.dir}/pruned.txt`;
      const id = `amo-${crypto.randomUUID()}`;
      const payload = stamped(id, `echo ran >> ${marker}`, "pruned.txt");
      const first = await request(nc, payload);
      const within = await request(nc, payload);
      await delay(4000);
      const afterRetention = await request(nc, payload);
      await waitFor(async () => lines(await readOr(marker)) === 2, 15_000, "second run");
      // Across a restart: remembered within the retention, forgotten after it.
      const id2 = `amo-${crypto.randomUUID()}`;
      const payload2 = stamped(id2, `echo ran2 >> ${marker}`, "pruned.txt");
      await request(nc, payload2);
      // Ran before the restart (it runs after its ACK: a stop in between would interrupt it).
      await waitFor(async () => lines(await readOr(marker)) === 3, 15_000, "first run of id2");
      await ship1.stop();
      await ship1.restart();
      const restartedWithin = await request(nc, payload2);
      await delay(4000);
      await ship1.stop();
      await ship1.restart();
      const restartedAfter = await request(nc, payload2);
      await waitFor(async () => lines(await readOr(marker)) === 4, 15_000, "rerun of id2");
      figure("at-most-once/retention", {
        retentionSeconds: 3,
        executed: lines(await readOr(marker)),
      });
      assertEquals(first, { id, ok: true });
      assertEquals(within, { id, ok: true, duplicate: true });
      assertEquals(afterRetention, { id, ok: true });
      assertEquals(restartedWithin, { id: id2, ok: true, duplicate: true });
      assertEquals(restartedAfter, { id: id2, ok: true });
      assertEquals(await readOr(marker), "ran\nran\nran2\nran2\n");
    } finally {
      await nc.close();
      await fleet.stop();
    }
  },
);
