import { join } from "node:path";
import { assertEquals } from "../../test/assert.ts";
import { SecretPaths } from "./secret_paths.ts";

const config = {
  databaseFolder: "var",
  nkeySeedFile: "/keys/ship1.nk",
  keyFile: "/tls/ship1-key.pem",
};
const secrets = SecretPaths.of({ config, configFolder: "etc", cwd: "/srv/ship1" });

Deno.test("SecretPaths.named() finds the config and database folders, the seed and TLS key", () => {
  assertEquals(secrets.named("/srv/ship1/etc/steward_ed25519.key"), "/srv/ship1/etc");
  assertEquals(secrets.named("/srv/ship1/etc/config.json"), "/srv/ship1/etc");
  assertEquals(secrets.named("/srv/ship1/etc"), "/srv/ship1/etc");
  assertEquals(secrets.named("/srv/ship1/var/steward.kv"), "/srv/ship1/var");
  assertEquals(secrets.named("/keys/ship1.nk"), "/keys/ship1.nk");
  assertEquals(secrets.named("/tls/ship1-key.pem"), "/tls/ship1-key.pem");
});

Deno.test("SecretPaths.named() resolves relative paths and .. against the agent's folder", () => {
  assertEquals(secrets.named("etc/acl.json"), "/srv/ship1/etc");
  assertEquals(secrets.named("data/../var/audit.log"), "/srv/ship1/var");
  assertEquals(secrets.named("/tmp/../keys/./ship1.nk"), "/keys/ship1.nk");
  // The file names only the agent's secrets have, wherever they are.
  assertEquals(secrets.named("copy/listener_token"), "listener_token");
  assertEquals(secrets.named("/backup/store_journal.key"), "store_journal.key");
  assertEquals(secrets.named("ship1.nk"), "ship1.nk");
});

Deno.test("SecretPaths.named() leaves other paths alone", () => {
  for (
    const path of ["/var/log/syslog", "/srv/ship1/data/out.txt", "/srv/ship1/etcetera", "", "/"]
  ) {
    assertEquals(secrets.named(path), undefined, path);
  }
});

Deno.test("SecretPaths.named() follows a symbolic link to a secret", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "etc"));
  await Deno.writeTextFile(join(dir, "etc", "config.json"), "{}");
  await Deno.symlink(join(dir, "etc", "config.json"), join(dir, "innocent.txt"));
  const own = SecretPaths.of({ config, configFolder: "etc", cwd: dir });
  assertEquals(own.named(join(dir, "innocent.txt")), join(dir, "etc"));
  assertEquals(own.named("innocent.txt"), join(dir, "etc"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("SecretPaths.inCommand() checks every argument and every word of a script", () => {
  assertEquals(secrets.inCommand(["cat", "/keys/ship1.nk"]), {
    word: "/keys/ship1.nk",
    secret: "/keys/ship1.nk",
  });
  assertEquals(secrets.inCommand(["bash", "-c", "cat etc/acl.json|base64"]), {
    word: "etc/acl.json",
    secret: "/srv/ship1/etc",
  });
  assertEquals(
    secrets.inCommand(["curl", "--data-binary=@/tls/ship1-key.pem", "x"])?.secret,
    "/tls/ship1-key.pem",
  );
  assertEquals(secrets.inCommand(["tar", "-cf", "-", "var"])?.secret, "/srv/ship1/var");
  // The executable itself is not an argument; ordinary commands pass.
  assertEquals(secrets.inCommand(["/srv/ship1/etc/tool"]), undefined);
  assertEquals(secrets.inCommand(["bash", "-c", "uptime; df -h /; ls /var/log"]), undefined);
});
