import { assertEquals, assertMatch, assertRejects } from "../../test/assert.ts";
import { endpointFrom, listenerTokenFor } from "./transport.ts";

Deno.test("listenerTokenFor() takes the token, else the token file, trimmed", async () => {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "from-file\n");
    assertEquals(await listenerTokenFor({ token: "given", tokenFile: file }, "tcp x"), "given");
    assertEquals(await listenerTokenFor({ tokenFile: file }, "tcp x"), "from-file");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("listenerTokenFor() falls back to STEWARD_TOKEN, then STEWARD_TOKEN_FILE", async () => {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "env-file\n");
    Deno.env.set("STEWARD_TOKEN_FILE", file);
    assertEquals(await listenerTokenFor({}, "tcp x"), "env-file");
    Deno.env.set("STEWARD_TOKEN", "env-value");
    assertEquals(await listenerTokenFor({}, "tcp x"), "env-value");
  } finally {
    Deno.env.delete("STEWARD_TOKEN");
    Deno.env.delete("STEWARD_TOKEN_FILE");
    await Deno.remove(file);
  }
});

Deno.test("listenerTokenFor() without any token says how to give one", async () => {
  const err = await assertRejects(() => listenerTokenFor({}, "http 127.0.0.1:8090"));
  assertMatch(err.message, /http 127\.0\.0\.1:8090 without its listener token/);
  assertMatch(err.message, /STEWARD_TOKEN/);
  const missing = await assertRejects(() => listenerTokenFor({ tokenFile: "/nonexistent" }, "x"));
  assertMatch(missing.message, /Cannot read the listener token file \/nonexistent/);
});

Deno.test("endpointFrom() attaches --tokenFile= to a TCP or HTTP endpoint only", () => {
  assertEquals(endpointFrom(["--tcp=127.0.0.1:1", "--tokenFile=/t"]), {
    tcp: "127.0.0.1:1",
    tokenFile: "/t",
  });
  assertEquals(endpointFrom(["--socket=/s", "--tokenFile=/t"]), { socket: "/s" });
});
