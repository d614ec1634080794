import { assertEquals } from "../../test/assert.ts";
import { type Acl, checkAcl, defaultAcl, pathAllowed } from "./acl.ts";

const acl: Acl = {
  version: 4,
  rules: [
    {
      from: ["central"],
      methods: ["REQCliCommand", "REQTailFile", "REQHttpGet"],
      commands: [{ executable: "echo" }, { executable: "ls", args: ["-l", "/tmp(/.*)?"] }],
      paths: ["/var/log"],
      hosts: ["example.com"],
    },
    { from: ["*"], methods: ["REQToFile"] },
  ],
};

Deno.test("checkAcl() lets only central run commands by default", () => {
  const d = defaultAcl("central");
  assertEquals(
    checkAcl(d, "ship1", { fromNode: "central", method: "REQCliCommand", argv: ["rm", "-rf"] }),
    undefined,
  );
  assertEquals(
    checkAcl(d, "ship1", { fromNode: "ship2", method: "REQCliCommand", argv: ["ls"] }),
    "refused by the ACL (version 0) of ship1: node ship2 may not call REQCliCommand",
  );
  assertEquals(checkAcl(d, "ship1", { fromNode: "ship2", method: "REQToFileAppend" }), undefined);
});

Deno.test("checkAcl() matches executables exactly and arguments by anchored patterns", () => {
  const run = (argv: string[]) =>
    checkAcl(acl, "ship1", { fromNode: "central", method: "REQCliCommand", argv });
  assertEquals(run(["echo", "anything", "at", "all"]), undefined);
  assertEquals(run(["ls", "-l", "/tmp/x"]), undefined);
  assertEquals(
    run(["ls", "-l", "/etc"]),
    'refused by the ACL (version 4) of ship1: node central may not run ["ls","-l","/etc"] ' +
      "with REQCliCommand",
  );
  assertEquals(run(["ls", "-l", "/tmp", "/etc"]) !== undefined, true);
  assertEquals(run(["/bin/echo", "x"]) !== undefined, true);
  assertEquals(
    checkAcl(acl, "ship1", { fromNode: "ship2", method: "REQCliCommand", argv: ["echo"] }),
    "refused by the ACL (version 4) of ship1: node ship2 may not call REQCliCommand",
  );
});

Deno.test("checkAcl() confines REQTailFile to its paths and REQHttpGet to its hosts", () => {
  const tail = (target: string) =>
    checkAcl(acl, "s", { fromNode: "central", method: "REQTailFile", target });
  assertEquals(tail("/var/log/syslog"), undefined);
  assertEquals(tail("/var/log/../../etc/shadow") !== undefined, true);
  assertEquals(tail("/var/logs") !== undefined, true);
  assertEquals(tail("var/log/x") !== undefined, true);
  const get = (target: string) =>
    checkAcl(acl, "s", { fromNode: "central", method: "REQHttpGet", target });
  assertEquals(get("https://example.com/x"), undefined);
  assertEquals(get("https://evil.example.org/") !== undefined, true);
});

Deno.test("pathAllowed() resolves dot segments before comparing", () => {
  assertEquals(pathAllowed("/data", "/data/a/../b"), true);
  assertEquals(pathAllowed("/data", "/data/../etc"), false);
  assertEquals(pathAllowed("/", "/etc"), true);
});
