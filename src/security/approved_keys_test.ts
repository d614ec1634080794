import { join } from "node:path";
import { assertEquals, assertRejects } from "../../test/assert.ts";
import { ApprovedKeysFolder, isPublicKey, preApproveKey } from "./approved_keys.ts";

const KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));

Deno.test("isPublicKey() accepts base64 of 32 bytes only", () => {
  assertEquals(isPublicKey(KEY), true);
  assertEquals(isPublicKey(KEY.slice(1)), false);
  assertEquals(isPublicKey(btoa("short")), false);
  assertEquals(isPublicKey(`${KEY}\n`), false);
});

Deno.test("ApprovedKeysFolder reads <node>.pub, ignores bad files and names that are not nodes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await preApproveKey(dir, "ship1", KEY);
    await Deno.writeTextFile(join(dir, "ship2.pub"), "not a key\n");
    await Deno.writeTextFile(join(dir, "..pub"), `${KEY}\n`);
    const folder = new ApprovedKeysFolder(dir);
    assertEquals(await folder.lookup("ship1"), KEY);
    assertEquals(await folder.lookup("ship2"), undefined);
    assertEquals(await folder.lookup("."), undefined);
    assertEquals(await folder.lookup("../ship1"), undefined);
    // A missing file is believed missing for a moment (a flood of unknown senders must not
    // become a flood of reads), then looked at again.
    assertEquals(await folder.lookup("ship3"), undefined);
    await preApproveKey(dir, "ship3", KEY);
    assertEquals(await folder.lookup("ship3"), undefined);
    await new Promise((r) => setTimeout(r, 1100));
    assertEquals(await folder.lookup("ship3"), KEY);
    // Only the key files are left: the temporary file of each write was renamed.
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(names, ["..pub", "ship1.pub", "ship2.pub", "ship3.pub"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("preApproveKey() refuses a name that is not a node and a key that is not a key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => preApproveKey(dir, "../etc/x", KEY), /cannot name a key file/);
    await assertRejects(() => preApproveKey(dir, "ship1", "AAAA"), /not an Ed25519/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
