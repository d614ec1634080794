/**
 * Attacks on the operator's web page (`-webListener`, issue 19): without the listener token or
 * a session nothing is shown and nothing changes; a page of another site, a request without
 * the page's own header, or a DNS-rebinding name cannot change anything even with a session;
 * and what nodes and commands chose (output, error text) is shown as text, never run as script
 * (in a real browser: skipped with a message where no Chromium can be had).
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Agent, Broker, delay, Fleet, freePort, readOr, waitFor } from "../harness.ts";
import { logIn, openBrowser } from "../browser.ts";
import { APP_SCRIPT } from "../../src/web/page_script.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function webFleet(): Promise<{ fleet: Fleet; base: string; token: string }> {
  const port = freePort();
  const fleet = await Fleet.start(["central", "ship1"], {
    flags: { central: [`-webListener=127.0.0.1:${port}`] },
  });
  const token = (await readOr(join(fleet.get("central").dir, "etc", "listener_token"))).trim();
  return { fleet, base: `http://127.0.0.1:${port}`, token };
}

/** POSTs `body` to `/api/send` with the Host header `host`; returns the raw answer. */
async function rawPost(base: string, host: string, cookie: string, body: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(base).port) });
  const bytes = new TextEncoder().encode(body);
  await conn.write(new TextEncoder().encode(
    `POST /api/send HTTP/1.1\r\nhost: ${host}\r\ncookie: ${cookie}\r\n` +
      `content-type: application/json\r\nx-steward-request: 1\r\nconnection: close\r\n` +
      `content-length: ${bytes.length}\r\n\r\n`,
  ));
  await conn.write(bytes);
  return await new Response(conn.readable).text();
}

/** Logs in through the form as a browser would; returns the session cookie. */
async function session(base: string, token: string): Promise<string> {
  const res = await fetch(`${base}/login`, {
    method: "POST",
    headers: { origin: base, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token }),
    redirect: "manual",
  });
  assertEquals(res.status, 303);
  const cookie = res.headers.get("set-cookie") ?? "";
  assertMatch(cookie, /HttpOnly/);
  assertMatch(cookie, /SameSite=Strict/);
  return cookie.split(";")[0];
}

Deno.test(
  "web page: unauthenticated, cross-site and rebinding requests see nothing and change nothing",
  opts,
  async () => {
    const { fleet, base, token } = await webFleet();
    const markers = await Deno.makeTempDir({ prefix: "steward-web-attack-" });
    const touch = (name: string) => ({
      toNodes: ["ship1"],
      method: "REQCliCommand",
      methodArgs: ["touch", join(markers, name)],
    });
    const json = { "content-type": "application/json", "x-steward-request": "1" };
    try {
      // Nothing without a credential: the page is the login form, the API a 401.
      const page = await fetch(`${base}/`);
      assertEquals(page.status, 401);
      const html = await page.text();
      assertMatch(html, /<form method="post" action="\/login">/);
      assert(!html.includes("ship1"), "the login page shows no fleet data");
      assertMatch(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
      for (const path of ["/api/fleet", "/api/messages", "/api/errors", "/app.js"]) {
        const res = await fetch(base + path);
        assertEquals(res.status, 401, path);
        assert(!(await res.text()).includes("ship1"), `${path} leaks nothing`);
      }
      const anonymous = await fetch(`${base}/api/send`, {
        method: "POST",
        headers: { ...json, origin: base },
        body: JSON.stringify(touch("anonymous")),
      });
      assertEquals(anonymous.status, 401);
      await anonymous.body?.cancel();
      const wrongBearer = await fetch(`${base}/api/send`, {
        method: "POST",
        headers: { ...json, authorization: `Bearer ${token}x` },
        body: JSON.stringify(touch("wrong-bearer")),
      });
      assertEquals(wrongBearer.status, 401);
      await wrongBearer.body?.cancel();
      // A wrong token at the form, and a login posted by another site, open no session.
      const wrong = await fetch(`${base}/login`, {
        method: "POST",
        headers: { origin: base, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: "guess" }),
        redirect: "manual",
      });
      assertEquals(wrong.status, 401);
      assertEquals(wrong.headers.get("set-cookie"), null);
      await wrong.body?.cancel();
      const foreignLogin = await fetch(`${base}/login`, {
        method: "POST",
        headers: {
          origin: "http://evil.example",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ token }),
        redirect: "manual",
      });
      assertEquals(foreignLogin.status, 403);
      assertEquals(foreignLogin.headers.get("set-cookie"), null);
      await foreignLogin.body?.cancel();

      // With a session: another site's page, a simple request without the header, a
      // cross-site fetch and a rebinding name are all refused.
      const cookie = await session(base, token);
      const attempts: [string, Record<string, string>, number][] = [
        ["foreign-origin", { ...json, cookie, origin: "http://evil.example" }, 403],
        ["no-header", { "content-type": "application/json", cookie, origin: base }, 403],
        ["cross-site", { ...json, cookie, "sec-fetch-site": "cross-site" }, 403],
        ["text-plain", { "content-type": "text/plain", "x-steward-request": "1", cookie }, 415],
      ];
      for (const [name, headers, status] of attempts) {
        const res = await fetch(`${base}/api/send`, {
          method: "POST",
          headers,
          body: JSON.stringify(touch(name)),
        });
        assertEquals(res.status, status, name);
        await res.body?.cancel();
      }
      // A page of a DNS-rebinding name reaches loopback with its own Host (fetch cannot set
      // it: written by hand).
      const rebound = await rawPost(
        base,
        "evil.example",
        cookie,
        JSON.stringify(touch("rebinding")),
      );
      assertMatch(rebound, /^HTTP\/1.1 421/);
      const approve = await fetch(`${base}/api/approve`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify({ node: "ship1", fingerprint: "SHA256:x" }),
      });
      assertEquals(approve.status, 403);
      await approve.body?.cancel();
      // An oversized body is refused as it streams in.
      const huge = await fetch(`${base}/api/approve`, {
        method: "POST",
        headers: { ...json, cookie },
        body: JSON.stringify({ node: "ship1", fingerprint: "x".repeat(10_000) }),
      });
      assertEquals(huge.status, 413);
      await huge.body?.cancel();

      // The same request, done right, runs: the refusals above were not a broken path.
      const ok = await fetch(`${base}/api/send`, {
        method: "POST",
        headers: { ...json, cookie, origin: base },
        body: JSON.stringify(touch("allowed")),
      });
      assertEquals(ok.status, 200);
      const lines = (await ok.text()).trim().split("\n").map((l) => JSON.parse(l));
      assertEquals(lines[0].status, "accepted");
      assertEquals(lines.at(-1).status, "done");
      await waitFor(() => exists(join(markers, "allowed")), 15_000, "the allowed command");
      // Give any wrongly accepted command the time to have run too.
      await delay(1000);
      for (const name of ["anonymous", "wrong-bearer", "rebinding", ...attempts.map(([n]) => n)]) {
        assert(!(await exists(join(markers, name))), `the ${name} request ran a command`);
      }
      // Logged out, the cookie opens nothing.
      const out = await fetch(`${base}/logout`, {
        method: "POST",
        headers: { ...json, cookie, origin: base },
        body: "{}",
      });
      assertEquals(out.status, 204);
      const after = await fetch(`${base}/api/fleet`, { headers: { cookie } });
      assertEquals(after.status, 401);
      await after.body?.cancel();
    } finally {
      await fleet.stop();
      await Deno.remove(markers, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test("web page: the script puts data in the page as text only", () => {
  for (const sink of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("]) {
    assert(!APP_SCRIPT.includes(sink), `app.js uses ${sink}`);
  }
});

Deno.test(
  "web page: hostile command output and error text are shown inert in a real browser",
  opts,
  async () => {
    const browser = await openBrowser();
    if (!browser) return; // openBrowser said why.
    const { fleet, base, token } = await webFleet();
    try {
      const page = await browser.newPage();
      await logIn(page, base, token);
      const payload = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>";
      // Output and an error line that both carry markup, sent as the page itself sends.
      const script = `printf '%s' '${payload}'; printf '%s' '${payload}' >&2; exit 3`;
      const sent = await page.evaluate(`fetch("/api/send", {
        method: "POST",
        headers: { "content-type": "application/json", "x-steward-request": "1" },
        body: JSON.stringify(${
        JSON.stringify({
          toNodes: ["ship1"],
          method: "REQCliCommand",
          methodArgs: ["sh", "-c", script],
        })
      }),
      }).then((res) => res.text())`) as string;
      assertMatch(sent, /"status":"reply"/);
      await page.waitForFunction(
        `[...document.querySelectorAll("#errors li")].some((li) => li.textContent.includes("<img"))`,
        { timeout: 20_000 },
      );
      // Typed into the page's own form too: the output pane gets the markup as text.
      // ship1 is on the page once central knows of it (its error, here).
      await page.waitForSelector(`#targets input[value="ship1"]`, { timeout: 15_000 });
      await page.click(`#targets input[value="ship1"]`);
      await page.type("#command", `echo ${payload}`);
      await page.click("#send-button");
      await page.waitForFunction(
        `document.querySelector("#output pre")?.textContent.includes("<script>")`,
        { timeout: 20_000 },
      );
      await page.waitForFunction(
        `document.querySelector('tr[data-node="ship1"] td.error')?.textContent.includes("<img")`,
        { timeout: 20_000 },
      );
      assertEquals(await page.evaluate("window.__pwned ?? null"), null, "markup ran as script");
      const injected = await page.evaluate(
        `document.querySelectorAll("#errors img, #output img, #fleet-body img, main script").length`,
      );
      assertEquals(injected, 0);
    } finally {
      await browser.close();
      await fleet.stop();
    }
  },
);

Deno.test(
  "web page: a node other than central refuses to start with -webListener",
  opts,
  async () => {
    const broker = await Broker.start();
    const dir = await Deno.makeTempDir({ prefix: "steward-ship1-" });
    let error = "";
    try {
      const ship = await Agent.start("ship1", {
        dir,
        broker: broker.address,
        flags: [`-webListener=127.0.0.1:${freePort()}`],
      });
      await ship.destroy();
    } catch (err) {
      error = (err as Error).message;
    } finally {
      await broker.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
    assertMatch(error, /-webListener: only the central node \(central\) serves the web page/);
  },
);
