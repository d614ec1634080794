import { assertEquals } from "../../test/assert.ts";
import { ListenerToken } from "../input/listener_token.ts";
import { webListenAddress } from "./start_web_page.ts";
import { isAuthenticated, originRefusal } from "./web_guard.ts";
import { WebSessions } from "./web_sessions.ts";

function post(headers: Record<string, string>): Request {
  return new Request("http://127.0.0.1:8090/api/send", { method: "POST", headers });
}
const own = { host: "127.0.0.1:8090", origin: "http://127.0.0.1:8090", "x-steward-request": "1" };

Deno.test("originRefusal() lets the page's own change through and refuses the rest", () => {
  const status = (h: Record<string, string>, change = true) =>
    originRefusal(post(h), "127.0.0.1:8090", change)?.status;
  assertEquals(status(own), undefined);
  assertEquals(
    status({ ...own, host: "localhost:8090", origin: "http://localhost:8090" }),
    undefined,
  );
  assertEquals(status({ ...own, origin: "http://evil.example" }), 403);
  assertEquals(status({ ...own, origin: "null" }), 403);
  assertEquals(status({ ...own, "x-steward-request": "" }), 403);
  assertEquals(status({ ...own, "sec-fetch-site": "cross-site" }), 403);
  assertEquals(status({ ...own, "sec-fetch-site": "same-site" }), 403);
  assertEquals(
    status({ ...own, host: "evil.example:8090", origin: "http://evil.example:8090" }),
    421,
  );
  assertEquals(status({ ...own, host: "127.0.0.1:9999" }), 421);
  // A read needs no header; a foreign origin is still refused.
  assertEquals(status({ host: "127.0.0.1:8090" }, false), undefined);
  assertEquals(status({ host: "127.0.0.1:8090", origin: "http://evil.example" }, false), 403);
});

Deno.test("originRefusal() takes any Host on a page bound to every interface", () => {
  const req = post({ ...own, host: "10.0.0.5:8090", origin: "http://10.0.0.5:8090" });
  assertEquals(originRefusal(req, "0.0.0.0:8090", true), undefined);
});

Deno.test("isAuthenticated() takes the bearer token or an open session, nothing else", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const token = await ListenerToken.load(dir);
    const value = (await Deno.readTextFile(token.path)).trim();
    const sessions = new WebSessions();
    const context = { hostAndPort: "127.0.0.1:8090", token, sessions };
    const id = sessions.create();
    const auth = (headers: Record<string, string>) =>
      isAuthenticated(new Request("http://127.0.0.1:8090/", { headers }), context);
    assertEquals(auth({ authorization: `Bearer ${value}` }), true);
    assertEquals(auth({ cookie: `steward_session=${id}` }), true);
    assertEquals(auth({}), false);
    assertEquals(auth({ authorization: "Bearer nope" }), false);
    // A wrong bearer is not rescued by a cookie, nor is the token taken as a cookie.
    assertEquals(auth({ authorization: "Bearer nope", cookie: `steward_session=${id}` }), false);
    assertEquals(auth({ cookie: `steward_session=${value}` }), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("webListenAddress() binds loopback for :port and refuses what is not host:port", () => {
  assertEquals(webListenAddress(":8090"), "127.0.0.1:8090");
  assertEquals(webListenAddress("0.0.0.0:8090"), "0.0.0.0:8090");
  for (const bad of ["8090", "host", "a:b", ":99999", "a b:1"]) {
    let threw = false;
    try {
      webListenAddress(bad);
    } catch {
      threw = true;
    }
    assertEquals(threw, true, bad);
  }
});
