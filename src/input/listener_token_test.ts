import { assert, assertEquals, assertRejects } from "../../test/assert.ts";
import {
  bearerToken,
  ListenerToken,
  ListenerTokenError,
  listenerTokenPath,
} from "./listener_token.ts";

Deno.test("ListenerToken.load() creates a random base64url token of 32 bytes, mode 0600", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const token = await ListenerToken.load(dir);
    assertEquals(token.path, listenerTokenPath(dir));
    assertEquals((await Deno.stat(token.path)).mode! & 0o777, 0o600);
    const value = (await Deno.readTextFile(token.path)).trim();
    assert(/^[A-Za-z0-9_-]{43}$/.test(value), value);
    assert(token.matches(value));
    const other = await Deno.makeTempDir();
    const second = (await Deno.readTextFile((await ListenerToken.load(other)).path)).trim();
    assert(second !== value, "two agents get different tokens");
    await Deno.remove(other, { recursive: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ListenerToken.load() keeps the token it made: clients keep working", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = (await Deno.readTextFile((await ListenerToken.load(dir)).path)).trim();
    const again = await ListenerToken.load(dir);
    assert(again.matches(first));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ListenerToken.load() refuses a token file others can read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const token = await ListenerToken.load(dir);
    await Deno.chmod(token.path, 0o644);
    const err = await assertRejects(() => ListenerToken.load(dir), /chmod 600/);
    assert(err instanceof ListenerTokenError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ListenerToken.load() refuses a token too short to be one it made", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(listenerTokenPath(dir), "secret\n", { mode: 0o600 });
    const err = await assertRejects(() => ListenerToken.load(dir), /not valid/);
    assert(err instanceof ListenerTokenError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ListenerToken.matches() is false for a prefix, a longer value, empty and missing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const token = await ListenerToken.load(dir);
    const value = (await Deno.readTextFile(token.path)).trim();
    for (const wrong of [value.slice(0, -1), value + "x", "", undefined, null]) {
      assertEquals(token.matches(wrong), false, String(wrong));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bearerToken() reads only the Bearer scheme", () => {
  assertEquals(bearerToken("Bearer abc-_1"), "abc-_1");
  assertEquals(bearerToken("bearer abc"), "abc");
  assertEquals(bearerToken("Basic abc"), undefined);
  assertEquals(bearerToken("Bearer"), undefined);
  assertEquals(bearerToken(null), undefined);
});
