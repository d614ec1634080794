import { assertEquals } from "../../test/assert.ts";
import { credentialRefusal, isOwnOrigin } from "./http_credential.ts";
import { ListenerToken } from "./listener_token.ts";

Deno.test("isOwnOrigin() accepts only the listener's own origin", () => {
  assertEquals(isOwnOrigin("http://127.0.0.1:8090", "127.0.0.1:8090"), true);
  assertEquals(isOwnOrigin("http://localhost:8090", "127.0.0.1:8090"), true);
  assertEquals(isOwnOrigin("http://localhost:8090", ":8090"), true);
  assertEquals(isOwnOrigin("http://10.0.0.5:8090", "10.0.0.5:8090"), true);
  for (
    const foreign of [
      "http://evil.example",
      "http://evil.example:8090", // DNS rebinding: a foreign name on our port
      "http://127.0.0.1:8091",
      "https://127.0.0.1:8090",
      "null",
      "",
    ]
  ) {
    assertEquals(isOwnOrigin(foreign, "127.0.0.1:8090"), false, foreign);
  }
  assertEquals(isOwnOrigin("http://localhost:8090", "10.0.0.5:8090"), false);
});

Deno.test("credentialRefusal() refuses a foreign Origin (403) before a missing token (401)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const token = await ListenerToken.load(dir);
    const value = (await Deno.readTextFile(token.path)).trim();
    const at = "127.0.0.1:8090";
    const req = (headers: Record<string, string>) => new Request(`http://${at}/`, { headers });
    assertEquals(credentialRefusal(req({ origin: "http://evil.example" }), token, at)?.status, 403);
    const foreignWithToken = req({
      origin: "http://evil.example",
      authorization: `Bearer ${value}`,
    });
    assertEquals(credentialRefusal(foreignWithToken, token, at)?.status, 403);
    assertEquals(credentialRefusal(req({}), token, at)?.status, 401);
    assertEquals(credentialRefusal(req({ authorization: "Bearer nope" }), token, at)?.status, 401);
    assertEquals(
      credentialRefusal(req({ authorization: `Bearer ${value}` }), token, at),
      undefined,
    );
    const own = req({ origin: `http://${at}`, authorization: `Bearer ${value}` });
    assertEquals(credentialRefusal(own, token, at), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
