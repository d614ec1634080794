import { join } from "node:path";
import { assertEquals, assertMatch } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import { defaultConfig } from "../config.ts";
import type { Message } from "../message/schema.ts";
import { type NodeKeys, toBase64 } from "./node_keys.ts";
import { Security } from "./security.ts";
import { signMessage } from "./signature.ts";

async function keysIn(): Promise<NodeKeys> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  return { publicKey: toBase64(raw), privateKey: pair.privateKey };
}

/** Node ship1 that trusts `central`'s key, and a tail request signed by `signer`. */
async function setUp(central: NodeKeys, signer: NodeKeys) {
  const kv = await Deno.openKv(":memory:");
  const folder = await Deno.makeTempDir();
  const security = await Security.open(
    kv,
    defaultConfig({ nodeName: "ship1", centralPublicKey: central.publicKey }),
    { configFolder: folder, send: () => Promise.resolve(), log: () => {} },
  );
  const message = testMessage({
    id: crypto.randomUUID(),
    createdAt: Date.now(),
    method: "REQTailFile",
    methodArgs: ["./test.log"],
  });
  const raw = JSON.parse(JSON.stringify(await signMessage(message, signer)));
  const close = async () => {
    kv.close();
    await Deno.remove(folder, { recursive: true });
  };
  return { security, message, raw, folder, close };
}

Deno.test("Security.admit() resolves file arguments only for a verified sender", async () => {
  const central = await keysIn();
  const { security, message, raw, close } = await setUp(central, await keysIn());
  try {
    let asked = 0;
    const resolved = () => {
      asked++;
      return Promise.resolve(message);
    };
    assertMatch(await security.admit(message, raw, { resolved }) ?? "", /signature/);
    assertEquals(asked, 0, "no look-up for a message whose signature does not hold");
  } finally {
    await close();
  }
});

Deno.test("Security.admit() judges the resolved message: a path resolved into a secret is refused", async () => {
  const central = await keysIn();
  const { security, message, raw, folder, close } = await setUp(central, central);
  try {
    const into = (path: string) => () =>
      Promise.resolve<Message>({ ...message, methodArgs: [path] });
    assertEquals(await security.admit(message, raw, { resolved: into("/var/log/x") }), undefined);
    const key = join(folder, "steward_ed25519.key");
    assertMatch(
      await security.admit(message, raw, { resolved: into(key) }) ?? "",
      /REQTailFile of ".*steward_ed25519\.key" names the agent's secret/,
    );
  } finally {
    await close();
  }
});
