/**
 * Issue 14, item 6: commands inherited the agent's whole environment and could read its secrets
 * (`env`, `cat steward_ed25519.key`, the nkey seed) under the default ACL.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Agent, Broker, delay, readOr, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A fake secret only the agent's own environment holds. */
const SECRET = "h5-fake-secret-do-not-leak";

interface Command {
  method?: string;
  methodArgs: string[];
  fileName: string;
  methodTimeout?: number;
}

async function ask(central: Agent, node: string, c: Command): Promise<void> {
  await central.send({
    toNode: node,
    method: c.method ?? "REQCliCommand",
    methodArgs: c.methodArgs,
    directory: "h5",
    fileName: c.fileName,
    methodTimeout: c.methodTimeout ?? 10,
    ACKTimeout: 5,
    retries: 1,
  });
}

function variableNames(envOutput: string): string[] {
  return envOutput.split("\n").filter((l) => l.includes("=")).map((l) => l.split("=")[0]).sort();
}

async function startPair(
  shipFlags: string[],
  env: Record<string, string>,
): Promise<{ broker: Broker; central: Agent; ship1: Agent; stop: () => Promise<void> }> {
  const broker = await Broker.start();
  const agents: Agent[] = [];
  const stop = async () => {
    await Promise.all(agents.map((a) => a.destroy()));
    await broker.stop();
  };
  try {
    agents.push(await Agent.start("central", { broker: broker.address }));
    agents.push(
      await Agent.start("ship1", { broker: broker.address, flags: shipFlags, env }),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { broker, central: agents[0], ship1: agents[1], stop: explained(agents, stop) };
}

/** `stop`, which first prints what the agents said when the test failed (the reason is there). */
function explained(agents: Agent[], stop: () => Promise<void>): () => Promise<void> {
  const failed = () => {
    for (const a of agents) console.error(`--- ${a.name} said:\n${a.output}`);
  };
  return async () => {
    if (Deno.env.get("STEWARD_TEST_VERBOSE")) failed();
    await stop();
  };
}

Deno.test(
  "default ACL: `env` shows none of the agent's variables; the key file cannot be named " +
    "by a command or tailed",
  opts,
  async () => {
    const { central, ship1, stop } = await startPair([], {
      STEWARD_SECRET: SECRET,
      NATS_NKEY_SEED: "/somewhere/ship1.nk",
    });
    try {
      await ask(central, "ship1", { methodArgs: ["env"], fileName: "env.txt" });
      const env = await waitFor(() => readOr(central.file("h5", "ship1", "env.txt")), 20_000);
      assert(!env.includes(SECRET), `the agent's secret reached the command:\n${env}`);
      // Only PATH, HOME and the locale (when the agent has them): not CONFIG_FOLDER, not the
      // test fleet's key folder, not the seed path.
      for (const name of variableNames(env)) {
        assert(["PATH", "HOME", "LANG", "LC_ALL"].includes(name), `unexpected ${name} in\n${env}`);
      }
      assert(variableNames(env).includes("PATH"), `no PATH in\n${env}`);

      const keyFile = join(ship1.dir, "etc", "steward_ed25519.key");
      const key = await Deno.readTextFile(keyFile);
      const attempts: [string, string[]][] = [
        ["cat.txt", ["cat", keyFile]],
        ["relative.txt", ["cat", "var/../etc/steward_ed25519.key"]],
        ["script.txt", ["bash", "-c", `cat ${keyFile} | base64`]],
        ["folder.txt", ["tar", "-cf", "-", "etc"]],
      ];
      for (const [fileName, methodArgs] of attempts) {
        await ask(central, "ship1", { methodArgs, fileName });
      }
      await ask(central, "ship1", {
        method: "REQTailFile",
        methodArgs: [keyFile],
        fileName: "tail.txt",
        methodTimeout: 2,
      });
      // Four commands and the tail, each refused before it ran.
      // Counted line by line: a regex repeating `[^]*` five times backtracks for minutes.
      const log = await waitFor(async () => {
        const text = await central.errorLog("ship1");
        const refusals = text.split("\n").filter((l) => l.includes("names the agent's secret"));
        return refusals.length >= 5 ? text : "";
      }, 20_000);
      assertMatch(log, /REQTailFile[^\n]*names the agent's secret/);
      assertMatch(log, /"cat","var\/..\/etc\/steward_ed25519.key"|var\/..\/etc\/steward_ed25519/);
      // A command afterwards still runs: the refusals were refusals, not a broken agent.
      await ask(central, "ship1", { methodArgs: ["echo", "still here"], fileName: "echo.txt" });
      assertEquals(
        await waitFor(() => readOr(central.file("h5", "ship1", "echo.txt")), 20_000),
        "still here\n",
      );
      for (const [fileName] of [...attempts, ["tail.txt"]]) {
        const got = await readOr(central.file("h5", "ship1", fileName));
        assert(!got.includes(key.trim().slice(0, 20)), `${fileName} holds the key: ${got}`);
      }
    } finally {
      await stop();
    }
  },
);

Deno.test(
  "-commandEnv passes the variables it names, and only those",
  opts,
  async () => {
    const { central, stop } = await startPair(["-commandEnv=STEWARD_ALLOWED"], {
      STEWARD_SECRET: SECRET,
      STEWARD_ALLOWED: "visible",
    });
    try {
      await ask(central, "ship1", { methodArgs: ["env"], fileName: "env.txt" });
      const env = await waitFor(() => readOr(central.file("h5", "ship1", "env.txt")), 20_000);
      assertMatch(env, /^STEWARD_ALLOWED=visible$/m);
      assert(!env.includes(SECRET), `the agent's secret reached the command:\n${env}`);
    } finally {
      await stop();
    }
  },
);

async function uidOf(user: string): Promise<number> {
  const out = await new Deno.Command("id", { args: ["-u", user], stdout: "piped" }).output();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

async function running(pattern: string): Promise<boolean> {
  const out = await new Deno.Command("pgrep", { args: ["-f", pattern], stdout: "piped" })
    .output();
  return out.code === 0;
}

Deno.test({
  name: "-runAsUser=nobody: commands run as nobody, cannot read the 0600 key even through " +
    "`bash -c`, and are still killed as a group at methodTimeout",
  ignore: Deno.uid() !== 0,
  ...opts,
  fn: async () => {
    const { central, ship1, stop } = await startPair(["-runAsUser=nobody"], {
      STEWARD_SECRET: SECRET,
    });
    try {
      // Only the key file's own mode (0600, the agent's user) protects it here.
      await Deno.chmod(ship1.dir, 0o755);
      await Deno.chmod(join(ship1.dir, "etc"), 0o755);
      await ask(central, "ship1", { methodArgs: ["id", "-u"], fileName: "id.txt" });
      assertEquals(
        await waitFor(() => readOr(central.file("h5", "ship1", "id.txt")), 20_000),
        `${await uidOf("nobody")}\n`,
      );
      // The argument check is best effort: a script that builds the path is not caught by it.
      const keyFile = join(ship1.dir, "etc", "steward_ed25519.key");
      const hidden = btoa(keyFile);
      await ask(central, "ship1", {
        methodArgs: ["bash", "-c", `cat "$(echo ${hidden} | base64 -d)"`],
        fileName: "key.txt",
      });
      // The failure comes back in the reply file: the error, and nothing of the key.
      const key = await Deno.readTextFile(keyFile);
      const reply = await waitFor(() => readOr(central.file("h5", "ship1", "key.txt")), 20_000);
      assertMatch(reply, /^ERROR from ship1 .*bash exited with code 1: cat: .*Permission denied/);
      assert(!reply.includes(key.trim().slice(0, 20)), `the key leaked: ${reply}`);

      // A tree of processes started by nobody's command is killed at methodTimeout.
      await ask(central, "ship1", {
        methodArgs: ["bash", "-c", "sleep 4217 & sleep 4217; echo never"],
        fileName: "sleep.txt",
        methodTimeout: 1,
      });
      await waitFor(() => running("sleep 4217"), 20_000, "the sleeps to start");
      await waitFor(async () => !(await running("sleep 4217")), 20_000, "the sleeps to end");
      await delay(200);
      assertEquals(await running("sleep 4217"), false);
    } finally {
      await stop();
    }
  },
});

Deno.test(
  "-runAsUser naming a user that does not exist: the agent refuses to start and says why",
  opts,
  async () => {
    const broker = await Broker.start();
    const agent = await Agent.start("ship1", {
      broker: broker.address,
      flags: ["-runAsUser=h5-no-such-user"],
      wait: "none",
    });
    try {
      await waitFor(() => agent.exitCode !== undefined, 30_000, "the agent to exit");
      assertEquals(agent.exitCode, 1);
      assertMatch(agent.output, /steward: -runAsUser "h5-no-such-user": no such user/);
      assert(!agent.output.includes("accepting messages"), agent.output);
    } finally {
      await agent.destroy();
      await broker.stop();
    }
  },
);

Deno.test({
  name:
    "-runAsUser inside the narrow sandbox of an explicit ACL: the user is found, `id` runs as it",
  ignore: Deno.uid() !== 0,
  ...opts,
  fn: async () => {
    const broker = await Broker.start();
    const agents: Agent[] = [];
    try {
      agents.push(await Agent.start("central", { broker: broker.address }));
      const dir = await Deno.makeTempDir({ prefix: "steward-ship1-" });
      await Deno.mkdir(join(dir, "etc"), { mode: 0o700 });
      // No `/` among the tail paths and no `*` executable: the sandbox grants only what it names.
      const acl = {
        version: 1,
        rules: [
          { from: ["central"], methods: ["REQCliCommand"], commands: [{ executable: "id" }] },
          { from: ["*"], methods: ["REQToFileAppend", "REQHello", "REQErrorLog", "REQPong"] },
        ],
      };
      await Deno.writeTextFile(join(dir, "etc", "acl.json"), JSON.stringify(acl), { mode: 0o600 });
      agents.push(
        await Agent.start("ship1", { broker: broker.address, dir, flags: ["-runAsUser=nobody"] }),
      );
      await ask(agents[0], "ship1", { methodArgs: ["id", "-u"], fileName: "id.txt" });
      assertEquals(
        await waitFor(() => readOr(agents[0].file("h5", "ship1", "id.txt")), 20_000),
        `${await uidOf("nobody")}\n`,
      );
    } finally {
      await Promise.all(agents.map((a) => a.destroy()));
      await broker.stop();
    }
  },
});
