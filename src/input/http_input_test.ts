import { assertEquals } from "../../test/assert.ts";
import { isJsonContentType, isOwnOrigin } from "./http_input.ts";

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

Deno.test("isJsonContentType() accepts application/json with parameters only", () => {
  assertEquals(isJsonContentType("application/json"), true);
  assertEquals(isJsonContentType("Application/JSON; charset=utf-8"), true);
  for (
    const t of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", null]
  ) {
    assertEquals(isJsonContentType(t), false, String(t));
  }
});
