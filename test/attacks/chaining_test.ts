/**
 * Attacks through reply chaining (issue 14, item 2): a node's output run as code by the chained
 * command on central, and a chained command run again by a replayed reply.
 *
 * @module
 */
import { connect } from "npm:@nats-io/transport-node@3.4.0";
import { join } from "node:path";
import { assertEquals, assertMatch } from "../assert.ts";
import { delay, Fleet, readOr, waitFor } from "../harness.ts";
import { fleetKeys } from "../pki.ts";
import { signMessage } from "../../src/security/signature.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function exists(path: string): Promise<boolean> {
  return (await Deno.lstat(path).catch(() => null)) !== null;
}

Deno.test(
  "item 2: ship1's output never runs as code on central, in any of the issue's argv forms",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      const marker = (n: number) => join(central.dir, `X${n}`);
      // [what ship1 prints, the chained command central runs with it]
      const cases: [string, string[]][] = [
        [`$(touch ${marker(1)})`, ["bash", "-ec", "echo {{STEWARD_DATA}}"]],
        ["`touch " + marker(2) + "`", ["bash", "-ec", "echo {{STEWARD_DATA}}"]],
        [`$(touch ${marker(3)})`, ["/usr/bin/env", "bash", "-c", "echo {{STEWARD_DATA}}"]],
        [`a[$(touch ${marker(4)})]`, ["bash", "-c", "echo $(( {{STEWARD_DATA}} + 1 ))"]],
        [`a[$(touch ${marker(5)})]`, ["bash", "-c", "(( x = {{STEWARD_DATA}} )); echo $x"]],
        [`a[$(touch ${marker(6)})]`, ["bash", "-c", "[[ {{STEWARD_DATA}} -eq 1 ]]"]],
        [`$(touch ${marker(7)})`, ["bash", "-c", "eval echo {{STEWARD_DATA}}"]],
        [`touch ${marker(8)}`, ["bash", "-c", "echo {{STEWARD_DATA}} | bash"]],
        [`touch ${marker(9)}`, ["bash", "-c", "bash <<< {{STEWARD_DATA}}"]],
        [`a[$(touch ${marker(10)})]`, ["bash", "-c", "printf -v {{STEWARD_DATA}} x"]],
        [`touch ${marker(11)}`, ["sh", "-c", "{{STEWARD_DATA}}"]],
        [`$(touch ${marker(12)})`, ["bash", "-c", "echo `echo {{STEWARD_DATA}}`"]],
        [`a[$(touch ${marker(13)})]`, ["bash", "-c", "declare -i x={{STEWARD_DATA}}"]],
        [`import os; os.system('touch ${marker(14)}')`, ["python3", "-c", "{{STEWARD_DATA}}"]],
        [`$(touch ${marker(15)})`, ["bash", "-ec", "echo {{STEWARD_DATA}}", "x"]],
      ];
      const accepted: { n: number; data: string; file: string }[] = [];
      for (const [i, [data, chained]] of cases.entries()) {
        const n = i + 1;
        const answers = await central.send({
          toNode: "ship1",
          method: "REQCliCommand",
          methodArgs: ["printf", "%s", data],
          replyMethod: "REQCliCommand",
          replyMethodArgs: chained,
          directory: "chain",
          fileName: `case${n}.result`,
          replyMethodTimeout: 5,
        });
        if (answers[0].status === "rejected") {
          // Refused when accepted, saying which forms are allowed.
          assertMatch(String(answers[0].error), /allowed only in these forms/, `case ${n}`);
        } else {
          accepted.push({ n, data, file: central.file("chain", "central", `case${n}.result`) });
        }
      }
      // Whatever was accepted ran (or failed) without running the data.
      for (const { n, file } of accepted) {
        await waitFor(() => exists(file), 20_000, `the result of case ${n} (${file})`);
      }
      await delay(500);
      for (let n = 1; n <= cases.length; n++) {
        assertEquals(await exists(marker(n)), false, `case ${n}: X${n} appeared on central`);
      }
      // The forms that can be made safe are accepted and print the data as it is.
      // bash -ec, /usr/bin/env bash -c and a script with its own $0 are accepted; every other
      // form is refused when it is accepted, before anything is sent.
      assertEquals(accepted.map(({ n }) => n), [1, 2, 3, 15]);
      const echoed = accepted;
      for (const { data, file } of echoed) {
        // The chained command's output goes to central's own reply file.
        assertEquals(await readOr(file), data + "\n", file);
      }
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "item 2: the seed's two chaining examples write the same files as before",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central = fleet.get("central");
      for (
        const script of [
          'echo "{{STEWARD_DATA}}" > apekatt.txt',
          "cat <<< {{STEWARD_DATA}} > hest.txt",
        ]
      ) {
        const answers = await central.send({
          toNode: "ship1",
          method: "REQCliCommand",
          methodArgs: ["bash", "-c", "echo first line; echo 'second  line $(x)'"],
          replyMethod: "REQCliCommand",
          replyMethodArgs: ["bash", "-c", script],
        });
        assertEquals(answers[0].status, "accepted");
      }
      const want = "first line\nsecond  line $(x)\n\n";
      for (const f of ["apekatt.txt", "hest.txt"]) {
        assertEquals(await waitFor(() => readOr(join(central.dir, f)), 15_000, f), want, f);
      }
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "item 2: a chained command runs once per request; a resent reply with new data and a " +
    "fresh id, signed by ship1's real key, is refused",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    const nc = await connect({ servers: [fleet.broker.address] });
    try {
      const central = fleet.get("central");
      const subject = "central.REQCliCommand.CommandACK";
      const captured: Record<string, unknown>[] = [];
      const spy = nc.subscribe(subject, {
        callback: (_e, m) => {
          captured.push(m.json());
        },
      });
      await nc.flush();
      const log = join(central.dir, "chained.log");
      await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "genuine"],
        replyMethod: "REQCliCommand",
        replyMethodArgs: ["bash", "-c", `echo "{{STEWARD_DATA}}" >> ${log}`],
      });
      assertEquals(await waitFor(() => readOr(log), 15_000, "the chained command"), "genuine\n\n");
      await waitFor(() => captured.length > 0, 5_000, "ship1's chained reply on the wire");
      spy.unsubscribe();
      // A compromised ship1 resends the chained reply with data of its choice, three times.
      const ship1 = await fleetKeys("ship1");
      const original = captured[0];
      for (let i = 0; i < 3; i++) {
        const forged = await signMessage(
          { ...original, id: `replayed-${i}`, data: `replayed ${i}` },
          ship1,
        );
        const reply = await nc.request(subject, new TextEncoder().encode(JSON.stringify(forged)), {
          timeout: 5000,
        });
        const ack = reply.json<{ ok: boolean; error?: string }>();
        assertEquals(ack.ok, false, `replay ${i} was ACKed`);
      }
      await delay(1000);
      assertEquals(await readOr(log), "genuine\n\n");
    } finally {
      await nc.close();
      await fleet.stop();
    }
  },
);
