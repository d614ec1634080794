/**
 * Issue 16: a command's output and exit status go to a spool on disk, so that a command that
 * keeps running, or finishes, while its agent is down is collected after the restart and its
 * result sent once. Only a command whose process is gone without an exit status (what a reboot
 * does) is answered "interrupted". Spools are removed once their reply is queued.
 */
import { assert, assertEquals } from "../assert.ts";
import { type Agent, Fleet, readOr, waitFor } from "../harness.ts";
import { OPTS } from "./support.ts";

/** A fleet of central and ship1 for `fn`, with the file ship1's commands note their runs in. */
async function withShip1(
  fn: (p: { fleet: Fleet; central: Agent; ship1: Agent; ran: string }) => Promise<void>,
): Promise<void> {
  const fleet = await Fleet.start(["central", "ship1"]);
  try {
    const ship1 = fleet.get("ship1");
    await fn({ fleet, central: fleet.get("central"), ship1, ran: `${ship1.dir}/ran.txt` });
    await waitFor(() => Promise.resolve(spools(ship1.dir).length === 0), 10_000, "no spool left");
  } finally {
    await fleet.stop();
  }
}

/** The spool folders ship1 holds now. */
function spools(dir: string): string[] {
  try {
    return [...Deno.readDirSync(`${dir}/var/spool`)].map((e) => e.name);
  } catch {
    return [];
  }
}

Deno.test(
  "kill -9 of a node while its commands run: those that finish while it is down and those still running after its restart are answered with their results, once",
  OPTS,
  () =>
    withShip1(async ({ central, ship1, ran }) => {
      const out = central.file("spool", "ship1", "out.txt");
      // One ends while ship1 is down, one after it is back; one fails with its own code.
      const commands = [
        ["bash", "-c", `echo short >> ${ran}; sleep 1; echo short-result`],
        ["bash", "-c", `echo long >> ${ran}; sleep 6; echo long-result; echo to-stderr >&2`],
        ["bash", "-c", `echo failing >> ${ran}; sleep 1; echo oops >&2; exit 3`],
      ];
      const answers = await central.send(commands.map((methodArgs) => ({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs,
        replyMethod: "REQToFileAppend",
        directory: "spool",
        fileName: "out.txt",
        methodTimeout: 60,
        replyACKTimeout: 3,
        replyRetries: 40,
      })));
      assertEquals(answers.filter((a) => a.status === "accepted").length, 3);
      await waitFor(
        async () => (await readOr(ran)).split("\n").filter((l) => l).length === 3,
        30_000,
        "all three running",
      );
      await ship1.kill9();
      // The short ones end while ship1 is down.
      await new Promise((r) => setTimeout(r, 2000));
      await ship1.restart();
      await waitFor(
        async () => {
          const text = await readOr(out);
          return text.includes("long-result") && text.includes("short-result") &&
            text.includes("exited with code 3");
        },
        60_000,
        "the three results",
      );
      await new Promise((r) => setTimeout(r, 2000)); // Late duplicates would show here.
      const text = await readOr(out);
      const lines = text.split("\n");
      assertEquals(lines.filter((l) => l === "short-result").length, 1, text);
      assertEquals(lines.filter((l) => l === "long-result").length, 1, text);
      assertEquals(lines.filter((l) => l.includes("exited with code 3: oops")).length, 1, text);
      assert(!text.includes("restarted while running"), text);
      assert(!text.includes("interrupted"), text);
      // Each ran once.
      assertEquals((await readOr(ran)).split("\n").filter((l) => l).sort(), [
        "failing",
        "long",
        "short",
      ]);
    }),
);

/**
 * Sends ship1 a command that notes its run in `ran` and sleeps 30 s, and waits until it runs;
 * returns the reply file its answer goes to on central.
 */
async function startLongCommand(central: Agent, ran: string): Promise<string> {
  const [answer] = await central.send([{
    toNode: "ship1",
    method: "REQCliCommand",
    methodArgs: ["bash", "-c", `echo once >> ${ran}; sleep 30; echo never`],
    replyMethod: "REQToFileAppend",
    directory: "spool",
    fileName: "out.txt",
    methodTimeout: 60,
  }]);
  assertEquals(answer.status, "accepted");
  await waitFor(async () => (await readOr(ran)).includes("once"), 30_000, "it running");
  return central.file("spool", "ship1", "out.txt");
}

/** The command of {@linkcode startLongCommand} was answered "interrupted", once, and ran once. */
async function assertInterruptedOnce(out: string, ran: string): Promise<void> {
  await waitFor(async () => (await readOr(out)).includes("ERROR"), 60_000, "its answer");
  await new Promise((r) => setTimeout(r, 2000)); // A second answer would show here.
  const text = await readOr(out);
  assertEquals(text.split("\n").filter((l) => l.includes("ERROR")).length, 1, text);
  assert(text.includes("interrupted") && text.includes("not run again"), text);
  assert(!text.includes("never"), text);
  assertEquals((await readOr(ran)).split("\n").filter((l) => l), ["once"]);
}

Deno.test(
  "a command whose process died with its node (a reboot) is answered interrupted, once, and not run again",
  OPTS,
  () =>
    withShip1(async ({ central, ship1, ran }) => {
      const out = await startLongCommand(central, ran);
      // What a reboot does: the agent and the command's whole process group die at once.
      const [folder] = spools(ship1.dir);
      const pid = Number(Deno.readTextFileSync(`${ship1.dir}/var/spool/${folder}/pid`));
      await ship1.kill9();
      Deno.kill(-pid, "SIGKILL");
      await ship1.restart();
      await assertInterruptedOnce(out, ran);
    }),
);

Deno.test(
  "a clean stop of a node while a command runs: the command is ended with it, and answered once after the restart, not run again",
  OPTS,
  () =>
    withShip1(async ({ central, ship1, ran }) => {
      const out = await startLongCommand(central, ran);
      // SIGTERM: the agent stops its methods, and a reply cannot be queued while it stops.
      await ship1.stop();
      await ship1.restart();
      await assertInterruptedOnce(out, ran);
    }),
);

Deno.test(
  "kill -9 of a node amid a streaming command: after its restart the stream goes on from where it was sent, every line once and in order",
  OPTS,
  () =>
    withShip1(async ({ central, ship1, ran }) => {
      const out = central.file("spool", "ship1", "stream.txt");
      const [answer] = await central.send([{
        toNode: "ship1",
        method: "REQCliCommandCont",
        methodArgs: [
          "bash",
          "-c",
          `echo once >> ${ran}; for i in $(seq 1 60); do echo line$i; sleep 0.05; done`,
        ],
        replyMethod: "REQToFileAppend",
        directory: "spool",
        fileName: "stream.txt",
        methodTimeout: 60,
        replyACKTimeout: 3,
        replyRetries: 40,
      }]);
      assertEquals(answer.status, "accepted");
      // Killed once some lines reached central, while the command goes on.
      await waitFor(async () => (await readOr(out)).includes("line5\n"), 30_000, "lines");
      await ship1.kill9();
      await new Promise((r) => setTimeout(r, 1000));
      await ship1.restart();
      await waitFor(async () => (await readOr(out)).includes("line60\n"), 60_000, "the end");
      await new Promise((r) => setTimeout(r, 2000)); // Late duplicates would show here.
      const text = await readOr(out);
      assertEquals(
        text,
        Array.from({ length: 60 }, (_, i) => `line${i + 1}\n`).join(""),
        "every line once, in order",
      );
      assertEquals((await readOr(ran)).split("\n").filter((l) => l), ["once"]);
    }),
);
