import { assertEquals, assertMatch } from "../../test/assert.ts";
import { serveDataFolder } from "./expose_data_folder.ts";

async function withServer(test: (base: string, folder: string) => Promise<void>): Promise<void> {
  const top = await Deno.makeTempDir({ prefix: "steward-expose-" });
  const folder = `${top}/data`;
  await Deno.mkdir(`${folder}/cli/ship1`, { recursive: true });
  await Deno.writeTextFile(`${folder}/cli/ship1/out.result`, "result text\n");
  await Deno.writeTextFile(`${folder}/page.html`, "<script>alert(1)</script>");
  await Deno.writeTextFile(`${top}/secret.txt`, "outside\n");
  await Deno.symlink(`${top}/secret.txt`, `${folder}/leak.txt`);
  await Deno.symlink(top, `${folder}/up`);
  await Deno.symlink(`${folder}/cli/ship1/out.result`, `${folder}/inside-link.txt`);
  const server = serveDataFolder(folder, "127.0.0.1:0");
  const stop = new AbortController();
  const running = server.run(stop.signal);
  try {
    await test(`http://127.0.0.1:${server.addr.port}`, folder);
  } finally {
    stop.abort();
    await running;
    await Deno.remove(top, { recursive: true });
  }
}

async function get(url: string, init?: RequestInit): Promise<[number, string]> {
  const res = await fetch(url, { redirect: "manual", ...init });
  return [res.status, await res.text()];
}

Deno.test("serveDataFolder() serves files and directory listings", async () => {
  await withServer(async (base) => {
    assertEquals(await get(`${base}/cli/ship1/out.result`), [200, "result text\n"]);
    const [status, html] = await get(`${base}/cli/ship1/`);
    assertEquals(status, 200);
    assertMatch(html, /<a href="out.result">out.result<\/a>/);
    const [, top] = await get(`${base}/`);
    assertMatch(top, /href="cli\/">cli\/</);
    assertMatch(top, /inside-link.txt/);
    assertEquals((await get(`${base}/cli`))[0], 301);
    assertEquals(await get(`${base}/inside-link.txt`), [200, "result text\n"]);
  });
});

Deno.test("serveDataFolder() never serves anything outside the folder", async () => {
  await withServer(async (base) => {
    const [, top] = await get(`${base}/`);
    assertEquals(top.includes("leak.txt") || top.includes("up/"), false);
    for (
      const path of [
        "/leak.txt",
        "/up/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e/secret.txt",
        "/cli/..%2f..%2fsecret.txt",
        "/cli/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..\\secret.txt",
        "/%00",
      ]
    ) {
      const [status, body] = await get(base + path);
      assertEquals(body.includes("outside"), false, path);
      assertEquals([403, 404, 400].includes(status), true, `${path}: ${status}`);
    }
  });
});

Deno.test("serveDataFolder() is read-only and does not render HTML it serves", async () => {
  await withServer(async (base, folder) => {
    const [status] = await get(`${base}/new.txt`, { method: "PUT", body: "x" });
    assertEquals(status, 405);
    assertEquals(await Deno.stat(`${folder}/new.txt`).catch(() => null), null);
    const res = await fetch(`${base}/page.html`);
    await res.body?.cancel();
    assertEquals(res.headers.get("content-type"), "text/plain; charset=utf-8");
  });
});
