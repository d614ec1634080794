import { assertEquals } from "../../test/assert.ts";
import { takeKeyCommand } from "./key_command.ts";

Deno.test("takeKeyCommand() takes -approveKey=<node>:<fingerprint> and leaves the other flags", () => {
  assertEquals(takeKeyCommand(["-nodeName=central", "-approveKey=ship1:SHA256:abc"]), {
    name: "approveKey",
    node: "ship1",
    key: "SHA256:abc",
    rest: ["-nodeName=central"],
  });
  assertEquals(takeKeyCommand(["-approveKey=ship1"]), {
    name: "approveKey",
    node: "ship1",
    rest: [],
  });
});

Deno.test("takeKeyCommand() takes --revokeKey <node> as two arguments", () => {
  assertEquals(takeKeyCommand(["--revokeKey", "ship2", "-x=1"]), {
    name: "revokeKey",
    node: "ship2",
    rest: ["-x=1"],
  });
  assertEquals(takeKeyCommand(["-nodeName=a"]), undefined);
});

Deno.test("takeKeyCommand() takes -rotateKey and -keyFingerprint without a value", () => {
  assertEquals(takeKeyCommand(["-rotateKey", "-x=1"]), {
    name: "rotateKey",
    node: "",
    rest: ["-x=1"],
  });
  assertEquals(takeKeyCommand(["-keyFingerprint=/a/b.pub"]), {
    name: "keyFingerprint",
    node: "/a/b.pub",
    rest: [],
  });
});
