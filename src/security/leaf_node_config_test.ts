import { assert, assertEquals } from "../../test/assert.ts";
import {
  leafPermissions,
  renderHubConfig,
  renderShipConfig,
  shipNodePermissions,
} from "./leaf_node_config.ts";

const TLS = { certFile: "c.pem", keyFile: "k.pem", caFile: "ca.pem" };

Deno.test("leafPermissions() carries a ship's nodes' subjects and ACKs to central only", () => {
  assertEquals(leafPermissions(["ship1", "ship1-engine"], "central"), {
    publish: { allow: ["central.>", "_INBOX.central.>"] },
    subscribe: {
      allow: [
        "ship1.>",
        "_INBOX.ship1.>",
        "_STEWARD.central.trustedKeys",
        "ship1-engine.>",
        "_INBOX.ship1-engine.>",
      ],
    },
  });
});

Deno.test("leafPermissions() adds the peers the ship's nodes may publish to", () => {
  assertEquals(leafPermissions(["ship1"], "central", ["runner"]).publish.allow, [
    "central.>",
    "runner.>",
    "_INBOX.central.>",
  ]);
});

Deno.test("shipNodePermissions() lets a node message itself and its shipmates, no one else", () => {
  assertEquals(shipNodePermissions("ship1", ["ship1", "ship1-engine"], "central"), {
    publish: { allow: ["central.>", "ship1.>", "ship1-engine.>"] },
    subscribe: { allow: ["ship1.>", "_INBOX.ship1.>", "_STEWARD.central.trustedKeys"] },
  });
});

Deno.test("renderHubConfig() maps each ship's certificate to a leaf-only user", () => {
  const text = renderHubConfig(
    { nodeName: "central", publicKey: "UCENTRAL" },
    [{ name: "ship1", nodes: [{ nodeName: "ship1", publicKey: "USHIP1" }] }],
    { serverName: "hub", leafTls: TLS, port: 4000, leafPort: 7000 },
  );
  assert(text.includes('      user: "CN=leaf-ship1"\n'));
  assert(text.includes('      allowed_connection_types: ["LEAFNODE"]\n'));
  assert(text.includes("    verify_and_map: true\n"));
  assert(text.includes("  port: 7000\n"));
  assert(text.includes("      nkey: UCENTRAL\n"));
  assert(!text.includes("USHIP1"), "ships' nodes authenticate at their own server");
  assert(!text.includes("cluster {"));
});

Deno.test("renderHubConfig() with cluster routes the hub servers to each other", () => {
  const text = renderHubConfig({ nodeName: "central", publicKey: "U" }, [], {
    serverName: "hub-2",
    leafTls: TLS,
    cluster: { name: "h", port: 6222, routes: ["nats://a:6222", "nats://b:6222"] },
  });
  assert(text.includes('  routes: ["nats://a:6222", "nats://b:6222"]\n'));
});

Deno.test("renderShipConfig() lists every hub server as the leaf remote", () => {
  const text = renderShipConfig(
    { name: "ship1", nodes: [{ nodeName: "ship1", publicKey: "USHIP1" }] },
    "central",
    { hubUrls: ["nats-leaf://a:7422", "nats-leaf://b:7422"], leafTls: TLS },
  );
  assert(text.includes('      urls: ["nats-leaf://a:7422", "nats-leaf://b:7422"]\n'));
  assert(text.includes("      nkey: USHIP1\n"));
  assert(text.includes('host: "127.0.0.1"\n'));
});
