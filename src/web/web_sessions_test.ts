import { assert, assertEquals } from "../../test/assert.ts";
import { cookieValue, WebSessions } from "./web_sessions.ts";

Deno.test("WebSessions: a session expires, ends, and the oldest makes room at the bound", () => {
  let now = 0;
  const sessions = new WebSessions({ max: 2, ttlMs: 1000, now: () => now });
  const a = sessions.create();
  const b = sessions.create();
  assert(a !== b && a.length === 43);
  const c = sessions.create();
  assertEquals([sessions.valid(a), sessions.valid(b), sessions.valid(c)], [false, true, true]);
  sessions.end(b);
  assertEquals(sessions.valid(b), false);
  now = 1000;
  assertEquals(sessions.valid(c), false);
  assertEquals(sessions.valid(undefined), false);
});

Deno.test("cookieValue() finds one cookie among others, or none", () => {
  assertEquals(cookieValue("x=1;steward_session=abc ; y=2", "steward_session"), "abc");
  assertEquals(cookieValue("steward_sessionx=abc", "steward_session"), undefined);
  assertEquals(cookieValue(null, "steward_session"), undefined);
});
