import { assert, assertEquals, assertRejects } from "../../test/assert.ts";
import { checkCanSwitch, resolveRunAsUser, RunAsUserError } from "./run_as_user.ts";

const PASSWD = [
  "root:x:0:0:root:/root:/bin/bash",
  "# a comment",
  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
  "steward-run:x:990:985::/home/steward-run:/bin/sh",
  "broken line",
  "",
].join("\n");

async function passwd(): Promise<string> {
  const file = await Deno.makeTempFile();
  await Deno.writeTextFile(file, PASSWD);
  return file;
}

/** Expects `fn` to fail with a RunAsUserError whose message matches `pattern`. */
async function refused(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  const err = await assertRejects(fn, pattern);
  assert(err instanceof RunAsUserError, `${err.name}: ${err.message}`);
}

Deno.test("resolveRunAsUser() finds a user by name, by uid, or takes uid:gid as given", async () => {
  const passwdFile = await passwd();
  assertEquals(await resolveRunAsUser("steward-run", { passwdFile }), {
    name: "steward-run",
    uid: 990,
    gid: 985,
    home: "/home/steward-run",
  });
  assertEquals(await resolveRunAsUser("65534", { passwdFile }), {
    name: "nobody",
    uid: 65534,
    gid: 65534,
    home: "/nonexistent",
  });
  assertEquals(await resolveRunAsUser("990:100", { passwdFile }), {
    name: "steward-run",
    uid: 990,
    gid: 100,
    home: "/home/steward-run",
  });
  // A uid the database does not know: its name is the number, its home `/`.
  assertEquals(await resolveRunAsUser("4000:4000", { passwdFile }), {
    name: "4000",
    uid: 4000,
    gid: 4000,
    home: "/",
  });
  await Deno.remove(passwdFile);
});

Deno.test("resolveRunAsUser() refuses an unknown user, a bare unknown uid and root", async () => {
  const passwdFile = await passwd();
  await refused(
    () => resolveRunAsUser("ghost", { passwdFile }),
    new RegExp(`^-runAsUser "ghost": no such user in ${passwdFile}$`),
  );
  await refused(() => resolveRunAsUser("4000", { passwdFile }), /no user with uid 4000.*uid:gid/);
  for (const root of ["root", "0", "0:0", "990:0"]) {
    await refused(() => resolveRunAsUser(root, { passwdFile }), /is root \(uid or gid 0\)/);
  }
  await refused(
    () => resolveRunAsUser("nobody", { passwdFile: "/nonexistent/passwd" }),
    /cannot read \/nonexistent\/passwd/,
  );
  await Deno.remove(passwdFile);
});

Deno.test("checkCanSwitch() allows root, the same user, or CAP_SETUID and CAP_SETGID", async () => {
  const user = { name: "nobody", uid: 65534, gid: 65534, home: "/" };
  await checkCanSwitch(user, { self: { uid: 0, gid: 0 } });
  await checkCanSwitch(user, { self: { uid: 65534, gid: 65534 } });
  const statusFile = await Deno.makeTempFile();
  // Bits 6 (CAP_SETGID) and 7 (CAP_SETUID): 0xc0.
  await Deno.writeTextFile(statusFile, "Name:\tdeno\nCapEff:\t00000000000000c0\n");
  await checkCanSwitch(user, { self: { uid: 1000, gid: 1000 }, statusFile });
  await Deno.writeTextFile(statusFile, "Name:\tdeno\nCapEff:\t0000000000000080\n");
  await refused(
    () => checkCanSwitch(user, { self: { uid: 1000, gid: 1000 }, statusFile }),
    /^-runAsUser "nobody": the agent runs as uid 1000, not root, and lacks CAP_SETUID and CAP_SETGID/,
  );
  await refused(
    () => checkCanSwitch(user, { self: { uid: 1000, gid: 1000 }, statusFile: "/nonexistent" }),
    /cannot start commands as another user/,
  );
  await Deno.remove(statusFile);
});
