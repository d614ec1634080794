/**
 * Issue 5, point 7: an unusable data folder or database path is reported at start, naming the
 * flag, with a non-zero exit; a reply that cannot be written at use is reported to central's
 * error log and kept in `<databaseFolder>/undeliverable/`, not lost.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { type Agent, Fleet, readOr, ROOT, waitFor } from "../harness.ts";
import { errorLines, figure, OPTS } from "./support.ts";
import { AGENT_ENTRY, agentDenoFlags } from "../../src/permissions.ts";

/** Runs the agent with `flags` until it exits; returns its exit code and output. */
async function startFails(dir: string, flags: string[]): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...agentDenoFlags(),
      join(ROOT, AGENT_ENTRY),
      "-nodeName=broken",
      "-brokerAddress=127.0.0.1:1",
      `-socketFolder=${dir}/tmp`,
      ...flags,
    ],
    cwd: dir,
    env: { CONFIG_FOLDER: `${dir}/etc`, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const d = new TextDecoder();
  return { code: out.code, text: d.decode(out.stdout) + d.decode(out.stderr) };
}

Deno.test(
  "disk: unusable -databaseFolder, -subscribersDataFolder or database path stop the start, naming the flag",
  OPTS,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "steward-disk-" });
    try {
      // Tests run as root, so permissions do not block writes: a regular file in the way does.
      await Deno.writeTextFile(`${dir}/file`, "not a folder");
      await Deno.mkdir(`${dir}/db/steward.kv`, { recursive: true }); // a folder where KV's file goes
      const cases: [string, string[], RegExp][] = [
        [
          "databaseFolder under a file",
          [`-databaseFolder=${dir}/file/var`, `-subscribersDataFolder=${dir}/data`],
          /-databaseFolder ".*\/file\/var" is not a writable folder/,
        ],
        [
          "subscribersDataFolder under a file",
          [`-databaseFolder=${dir}/var`, `-subscribersDataFolder=${dir}/file/data`],
          /-subscribersDataFolder ".*\/file\/data" is not a writable folder/,
        ],
        [
          "databaseFolder in /proc",
          [`-databaseFolder=/proc/steward-test`, `-subscribersDataFolder=${dir}/data`],
          /-databaseFolder "\/proc\/steward-test" is not a writable folder/,
        ],
        [
          "database path is a folder",
          [`-databaseFolder=${dir}/db`, `-subscribersDataFolder=${dir}/data`],
          /-databaseFolder ".*\/db": cannot open the database .*steward\.kv/,
        ],
      ];
      const seen: Record<string, string> = {};
      for (const [name, flags, expected] of cases) {
        const { code, text } = await startFails(dir, flags);
        seen[name] = `exit ${code}: ${text.trim().split("\n").at(-1)}`;
        assert(code !== 0, `${name}: exit code ${code}`);
        assertMatch(text, expected, name);
      }
      figure("disk/start", seen);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "disk: a reply that cannot be written is reported to central and kept in undeliverable/",
  OPTS,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"]);
    try {
      const central: Agent = fleet.get("central");
      // A regular file where the reply's folder must be created.
      await Deno.mkdir(central.dataFolder, { recursive: true });
      await Deno.writeTextFile(join(central.dataFolder, "blocked"), "in the way");
      const [a] = await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "precious result"],
        directory: "blocked",
        fileName: "out.txt",
      });
      assertEquals(a.status, "accepted");
      const line = await waitFor(
        async () => (await errorLines(central, "central", "REQToFileAppend failed"))[0],
        20_000,
        "the error at central",
      );
      assertMatch(line, /Cannot write reply file ".*\/blocked\/ship1\/out\.txt"/);
      const kept = /the reply was kept in (\S+\.json)/.exec(line)?.[1];
      assert(kept, `no kept file named in: ${line}`);
      assert(kept.startsWith(join(central.dir, "var", "undeliverable")), kept);
      const message = JSON.parse(await readOr(kept));
      figure("disk/reply", { errorLine: line.slice(0, 300), kept, data: message.data });
      assertEquals(message.data, "precious result\n");
      assertEquals(message.previousMessage.id, a.id);
      // The agent goes on writing other replies.
      await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "fine"],
        directory: "ok",
        fileName: "ok.txt",
      });
      assertEquals(
        await waitFor(() => readOr(central.file("ok", "ship1", "ok.txt")), 15_000),
        "fine\n",
      );
    } finally {
      await fleet.stop();
    }
  },
);
