import { assertEquals } from "../../test/assert.ts";
import {
  commandEnvironment,
  commandSpawnFor,
  DEFAULT_PATH,
  sessionLeader,
} from "./command_environment.ts";

const agent: Record<string, string> = {
  PATH: "/opt/bin:/usr/bin",
  HOME: "/root",
  LANG: "C.UTF-8",
  NKEY_SEED_FILE: "/etc/nats/ship1.nk",
  STEWARD_TOKEN: "s3cret",
  TZ: "Europe/Oslo",
};
const get = (name: string) => agent[name];

Deno.test("commandEnvironment() keeps PATH, HOME and the locale, and nothing else", () => {
  assertEquals(commandEnvironment({ get }), {
    PATH: "/opt/bin:/usr/bin",
    HOME: "/root",
    LANG: "C.UTF-8",
  });
});

Deno.test("commandEnvironment() adds the variables named, when the agent has them", () => {
  assertEquals(commandEnvironment({ get, names: ["TZ", "MISSING"] }), {
    PATH: "/opt/bin:/usr/bin",
    HOME: "/root",
    LANG: "C.UTF-8",
    TZ: "Europe/Oslo",
  });
});

Deno.test("commandEnvironment() gives a standard PATH when the agent has none", () => {
  assertEquals(commandEnvironment({ get: () => undefined }), { PATH: DEFAULT_PATH });
  assertEquals(commandEnvironment({ get: () => undefined, home: "/home/run" }), {
    PATH: DEFAULT_PATH,
    HOME: "/home/run",
  });
});

Deno.test("commandSpawnFor() without -runAsUser: the minimal environment, the agent's user", async () => {
  const { setsid: _, thread, ...spawn } = await commandSpawnFor(
    { commandEnv: "TZ", runAsUser: "" },
    { get },
  );
  // Commands start off the agent's thread.
  assertEquals(typeof thread?.run, "function");
  thread?.close();
  assertEquals(spawn, {
    env: { PATH: "/opt/bin:/usr/bin", HOME: "/root", LANG: "C.UTF-8", TZ: "Europe/Oslo" },
  });
});

Deno.test("sessionLeader() finds an executable setsid, and nothing where there is none", async () => {
  const found = await sessionLeader();
  assertEquals(found === undefined || /\/setsid$/.test(found), true);
  assertEquals(await sessionLeader(["/nonexistent/setsid", "/etc/passwd"]), undefined);
});

Deno.test("commandSpawnFor() with -runAsUser: that user, its HOME, started in /", async () => {
  const passwdFile = await Deno.makeTempFile();
  await Deno.writeTextFile(passwdFile, "run:x:990:985::/home/run:/bin/sh\n");
  const spawn = await commandSpawnFor(
    { commandEnv: "", runAsUser: "run" },
    { get, passwdFile, self: { uid: 0, gid: 0 }, thread: false },
  );
  assertEquals(spawn, {
    env: { PATH: "/opt/bin:/usr/bin", HOME: "/home/run", LANG: "C.UTF-8" },
    user: { name: "run", uid: 990, gid: 985, home: "/home/run" },
    cwd: "/",
  });
  await Deno.remove(passwdFile);
});
