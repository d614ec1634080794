import { assertEquals } from "../../test/assert.ts";
import { fleetView } from "./fleet_view.ts";

const none = { keys: [], hellos: {}, inflightByNode: {}, lastErrors: {} };

Deno.test("fleetView() lists central first even when nothing else is known", () => {
  const view = fleetView({ ...none, central: "central", now: 1000 });
  assertEquals(view.nodes, [{
    node: "central",
    key: "central",
    pending: [],
    lastHello: null,
    helloAgeSeconds: null,
    inflight: 0,
    lastError: null,
  }]);
});

Deno.test("fleetView() joins keys, hellos, in-flight counts and errors by node", () => {
  const view = fleetView({
    central: "central",
    keys: [
      { node: "ship1", publicKey: "k1", state: "approved", updatedAt: 1 },
      { node: "ship3", publicKey: "k3", state: "revoked", updatedAt: 1 },
      { node: "ship2", publicKey: "b", fingerprint: "SHA256:b", state: "pending", updatedAt: 20 },
      { node: "ship2", publicKey: "a", fingerprint: "SHA256:a", state: "pending", updatedAt: 10 },
      { node: "ship3", publicKey: "n", fingerprint: "SHA256:n", state: "pending", updatedAt: 5 },
    ],
    hellos: { ship1: 58_000, ship4: 1_000 },
    inflightByNode: { ship1: 3 },
    lastErrors: { ship1: "2026-12-01T10:00:00Z, error: node: ship1, <b>boom</b>" },
    now: 60_400,
  });
  assertEquals(view.nodes.map((n) => [n.node, n.key]), [
    ["central", "central"],
    ["ship1", "approved"],
    ["ship2", "pending"],
    ["ship3", "revoked"],
    ["ship4", "none"],
  ]);
  const [, ship1, ship2, ship3, ship4] = view.nodes;
  assertEquals([ship1.lastHello, ship1.helloAgeSeconds, ship1.inflight], [58_000, 2, 3]);
  assertEquals(ship1.lastError, "2026-12-01T10:00:00Z, error: node: ship1, <b>boom</b>");
  // Oldest pending key first; a revoked node's new key waits for approval too.
  assertEquals(ship2.pending, [
    { fingerprint: "SHA256:a", since: 10 },
    { fingerprint: "SHA256:b", since: 20 },
  ]);
  assertEquals(ship3.pending, [{ fingerprint: "SHA256:n", since: 5 }]);
  assertEquals([ship4.helloAgeSeconds, ship4.inflight, ship4.lastError], [59, 0, null]);
});

Deno.test("fleetView() never shows a negative age when a node's clock is ahead", () => {
  const view = fleetView({ ...none, central: "central", hellos: { ship1: 5000 }, now: 1000 });
  assertEquals(view.nodes[1].helloAgeSeconds, 0);
});
