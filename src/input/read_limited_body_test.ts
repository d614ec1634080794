import { assert, assertEquals } from "../../test/assert.ts";
import { readLimitedBody } from "./read_limited_body.ts";

const post = (body: BodyInit, headers: HeadersInit = {}) =>
  new Request("http://agent/", { method: "POST", body, headers });

Deno.test("readLimitedBody() returns a body up to the limit whole", async () => {
  const r = await readLimitedBody(post("[1,2]"), 5);
  assert(!r.tooLarge);
  assertEquals(new TextDecoder().decode(r.bytes), "[1,2]");
});

Deno.test("readLimitedBody() stops reading a streamed body as soon as it passes the limit", async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(1024));
    },
  });
  const r = await readLimitedBody(post(endless), 10 * 1024);
  assert(r.tooLarge);
  assert(pulled <= 13, `pulled ${pulled} chunks of 1 KiB for a 10 KiB limit`);
});

Deno.test("readLimitedBody() refuses a declared Content-Length over the limit unread", async () => {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(1));
    },
  });
  const r = await readLimitedBody(post(body, { "content-length": "1000000" }), 10);
  assert(r.tooLarge);
  assert(pulled <= 1, `pulled ${pulled}`);
});
