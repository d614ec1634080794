import { assertEquals } from "../../test/assert.ts";
import { type NodeKeys, toBase64 } from "./node_keys.ts";
import {
  readTrustBroadcast,
  type TrustBroadcastCheck,
  trustBroadcastText,
} from "./trust_broadcast.ts";

async function keys(): Promise<NodeKeys> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  return {
    publicKey: toBase64(await crypto.subtle.exportKey("raw", pair.publicKey)),
    privateKey: pair.privateKey,
  };
}

const set = { version: 4, central: "K", keys: { ship1: "S1" } };
const bytes = (text: string) => new TextEncoder().encode(text);

function check(central: NodeKeys, extra: Partial<TrustBroadcastCheck> = {}): TrustBroadcastCheck {
  return {
    central: "central",
    centralKey: central.publicKey,
    maxBytes: 10_000,
    outsideWindow: () => undefined,
    ...extra,
  };
}

Deno.test("readTrustBroadcast() gives the set of a broadcast signed by central", async () => {
  const central = await keys();
  const read = await readTrustBroadcast(
    bytes(await trustBroadcastText(set, "central", central)),
    check(central),
  );
  assertEquals(read, { data: JSON.stringify(set) });
});

Deno.test("readTrustBroadcast() refuses what central did not sign, or not for this fleet", async () => {
  const [central, mallory] = [await keys(), await keys()];
  const forged = bytes(await trustBroadcastText(set, "central", mallory));
  assertEquals(await readTrustBroadcast(forged, check(central)), {
    refused: "not signed by central's key",
  });
  const otherFleet = bytes(await trustBroadcastText(set, "hq", central));
  assertEquals(await readTrustBroadcast(otherFleet, check(central)), {
    refused: "not a trusted set from central",
  });
  const genuine = JSON.parse(await trustBroadcastText(set, "central", central));
  genuine.data = JSON.stringify({ ...set, keys: { ...set.keys, mallory: "M" } });
  assertEquals(await readTrustBroadcast(bytes(JSON.stringify(genuine)), check(central)), {
    refused: "not signed by central's key",
  });
});

Deno.test("readTrustBroadcast() refuses old, oversized, malformed and unverifiable broadcasts", async () => {
  const central = await keys();
  const text = await trustBroadcastText(set, "central", central);
  const late = check(central, { outsideWindow: () => "signed 400 s ago" });
  assertEquals(await readTrustBroadcast(bytes(text), late), { refused: "signed 400 s ago" });
  assertEquals(await readTrustBroadcast(bytes(text), check(central, { maxBytes: 10 })), {
    refused: `${bytes(text).length} bytes, over the limit of 10`,
  });
  assertEquals(await readTrustBroadcast(bytes(text), check(central, { centralKey: undefined })), {
    refused: "this node does not know central's key yet",
  });
  assertEquals(await readTrustBroadcast(new Uint8Array([0xff, 0xfe]), check(central)), {
    refused: "not JSON text",
  });
  assertEquals(await readTrustBroadcast(bytes("[1]"), check(central)), {
    refused: "not a JSON object",
  });
});
