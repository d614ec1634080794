import { assertEquals } from "../../test/assert.ts";
import { takeKeyCommand } from "./key_command.ts";

Deno.test("takeKeyCommand() takes -approveKey=<node> and leaves the other flags", () => {
  assertEquals(takeKeyCommand(["-nodeName=central", "-approveKey=ship1"]), {
    method: "REQKeyApprove",
    node: "ship1",
    rest: ["-nodeName=central"],
  });
});

Deno.test("takeKeyCommand() takes --revokeKey <node> as two arguments", () => {
  assertEquals(takeKeyCommand(["--revokeKey", "ship2", "-x=1"]), {
    method: "REQKeyRevoke",
    node: "ship2",
    rest: ["-x=1"],
  });
  assertEquals(takeKeyCommand(["-nodeName=a"]), undefined);
});
