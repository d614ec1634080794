import { assertEquals } from "../../test/assert.ts";
import { nodePermissions, renderNatsServerConfig } from "./nats_server_config.ts";

Deno.test("nodePermissions() confines a ship to its subjects, its inbox and central's broadcasts", () => {
  assertEquals(nodePermissions("ship1", "central"), {
    publish: { allow: ["central.>"] },
    subscribe: { allow: ["ship1.>", "_INBOX.ship1.>", "_STEWARD.central.trustedKeys"] },
  });
});

Deno.test("nodePermissions() lets central publish anywhere except into inboxes", () => {
  assertEquals(nodePermissions("central", "central"), {
    publish: { allow: [">"], deny: ["_INBOX.>"] },
    subscribe: { allow: ["central.>", "_INBOX.central.>"] },
  });
});

Deno.test("nodePermissions() adds peers a ship may also publish to", () => {
  assertEquals(nodePermissions("ship1", "central", ["runner", "ship1"]).publish.allow, [
    "central.>",
    "runner.>",
  ]);
});

Deno.test("renderNatsServerConfig() writes one user per node with allow_responses", () => {
  const text = renderNatsServerConfig("central", [{ nodeName: "ship1", publicKey: "UKEY" }], {
    port: 4333,
    tls: { certFile: "s.pem", keyFile: "s-key.pem", caFile: "ca.pem", verify: true },
  });
  assertEquals(text.includes("port: 4333"), true);
  assertEquals(text.includes('  ca_file: "ca.pem"\n  verify: true'), true);
  assertEquals(text.includes("      nkey: UKEY\n"), true);
  assertEquals(text.includes('publish: { allow: ["central.>"] }'), true);
  assertEquals(
    text.includes(
      'subscribe: { allow: ["ship1.>", "_INBOX.ship1.>", "_STEWARD.central.trustedKeys"] }',
    ),
    true,
  );
  assertEquals(text.split("allow_responses: true").length, 2);
});
