import { assertEquals } from "../../test/assert.ts";
import { isJsonContentType } from "./http_input.ts";

Deno.test("isJsonContentType() accepts application/json with parameters only", () => {
  assertEquals(isJsonContentType("application/json"), true);
  assertEquals(isJsonContentType("Application/JSON; charset=utf-8"), true);
  for (
    const t of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", null]
  ) {
    assertEquals(isJsonContentType(t), false, String(t));
  }
});
