import { assertEquals } from "../../test/assert.ts";
import { defaultConfig } from "../config.ts";
import { type Acl, defaultAcl } from "./acl.ts";
import { sandboxFlags, sandboxFor } from "./sandbox.ts";
import { fileURLToPath } from "node:url";
import { SPAWN_WORKER_MODULES } from "../methods/spawn_thread.ts";

const config = defaultConfig({
  nodeName: "ship1",
  brokerAddress: "nats://broker.example:4333,10.0.0.2",
  databaseFolder: "var",
  subscribersDataFolder: "/srv/data",
  socketFolder: "tmp",
  promHostAndPort: ":9090",
  nkeySeedFile: "/keys/ship1.seed",
});
const acl: Acl = {
  version: 3,
  rules: [{
    from: ["central"],
    methods: ["*"],
    commands: [{ executable: "uptime" }, { executable: "/opt/bin/tool" }],
    paths: ["/var/log/app"],
    hosts: ["example.com:443"],
  }],
};

Deno.test("sandboxFor() grants only the agent's folders, broker, listeners and ACL's targets", () => {
  const s = sandboxFor({ config, configFolder: "etc", acl, cwd: "/srv/ship1", path: "/nowhere" });
  assertEquals(s.write, ["/srv/ship1/etc", "/srv/ship1/var", "/srv/data", "/srv/ship1/tmp"]);
  assertEquals(s.read, [
    "/srv/ship1/etc",
    "/srv/ship1/var",
    "/srv/data",
    "/srv/ship1/tmp",
    "/keys/ship1.seed",
    "/var/log/app",
    "/proc/self",
    // The spawn worker's two modules, by their paths in this checkout.
    ...SPAWN_WORKER_MODULES.map((u) => fileURLToPath(u)),
  ]);
  assertEquals(s.net, [
    "broker.example:4333",
    "10.0.0.2:4222",
    "unix:/srv/ship1/tmp/steward.sock",
    "0.0.0.0:9090",
    "example.com:443",
  ]);
  assertEquals(s.run, ["uptime", "/opt/bin/tool"]);
});

Deno.test("sandboxFor() resolves bare executables on PATH and widens for wildcards", () => {
  const s = sandboxFor({ config, configFolder: "/etc/s", acl, cwd: "/", path: "/usr/bin:/bin" });
  assertEquals((s.run as string[]).includes("/usr/bin/uptime"), true);
  const wide = sandboxFor({ config, configFolder: "/e", acl: defaultAcl("central"), cwd: "/" });
  assertEquals([wide.read, wide.net, wide.run], [true, true, true]);
});

Deno.test("sandboxFlags() renders grants as deno flags and leaves out empty ones", () => {
  assertEquals(sandboxFlags({ read: ["/a", "/b"], write: [], net: true, run: ["echo"] }), [
    "--allow-read=/a,/b",
    "--allow-net",
    "--allow-run=echo",
  ]);
});

Deno.test("sandboxFor() lets -runAsUser read /etc/passwd, and only then", () => {
  const input = { configFolder: "etc", acl, cwd: "/srv/ship1", path: "/nowhere" };
  const without = sandboxFor({ ...input, config });
  const withUser = sandboxFor({ ...input, config: { ...config, runAsUser: "nobody" } });
  assertEquals((without.read as string[]).includes("/etc/passwd"), false);
  assertEquals(withUser.read, [...(without.read as string[]), "/etc/passwd"]);
});
