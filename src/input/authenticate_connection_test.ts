import { assert, assertEquals, assertMatch } from "../../test/assert.ts";
import { authenticateConnection, type Authentication } from "./authenticate_connection.ts";
import { ListenerToken } from "./listener_token.ts";

/** Connects a client to a fresh listener, sends `payload` and authenticates the server side. */
async function authenticate(
  payload: string,
  options: { timeoutMs?: number; maxBytes?: number; send?: boolean } = {},
): Promise<{ auth: Authentication; token: string }> {
  const dir = await Deno.makeTempDir();
  const token = await ListenerToken.load(dir);
  const value = (await Deno.readTextFile(token.path)).trim();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  try {
    await client.write(new TextEncoder().encode(payload.replaceAll("$TOKEN", value)));
    const auth = await authenticateConnection(server, token, options);
    return { auth, token: value };
  } finally {
    server.close();
    client.close();
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("authenticateConnection() accepts the token line and hands back what follows", async () => {
  const { auth } = await authenticate('{"stewardToken":"$TOKEN"}\n{"toNode":"ship1"}');
  assert(auth.ok);
  assertEquals(new TextDecoder().decode(auth.rest), '{"toNode":"ship1"}');
});

Deno.test("authenticateConnection() accepts a CRLF-terminated token line", async () => {
  const { auth } = await authenticate('{"stewardToken":"$TOKEN"}\r\n');
  assert(auth.ok);
  assertEquals(auth.rest.length, 0);
});

Deno.test("authenticateConnection() refuses an HTTP request at its request line", async () => {
  const { auth } = await authenticate(
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n{"stewardToken":"$TOKEN"}\n',
  );
  assert(!auth.ok);
  assertMatch(auth.error, /authentication required: the first line must be \{"stewardToken"/);
});

Deno.test("authenticateConnection() refuses a message sent without the token", async () => {
  const { auth } = await authenticate('{"toNode":"ship1","method":"REQPing"}\n');
  assert(!auth.ok);
  assertMatch(auth.error, /authentication required/);
});

Deno.test("authenticateConnection() refuses a wrong token and extra fields", async () => {
  const wrong = await authenticate('{"stewardToken":"x$TOKEN"}\n');
  assert(!wrong.auth.ok);
  assertEquals(wrong.auth.error, "authentication failed: wrong listener token");
  const extra = await authenticate('{"stewardToken":"$TOKEN","toNode":"ship1"}\n');
  assert(!extra.auth.ok);
});

Deno.test("authenticateConnection() reads at most maxBytes looking for the line", async () => {
  const { auth } = await authenticate("x".repeat(5000), { maxBytes: 1024 });
  assert(!auth.ok);
  assertMatch(auth.error, /authentication required/);
});

Deno.test("authenticateConnection() gives up after timeoutMs without a line", async () => {
  const started = Date.now();
  const { auth } = await authenticate('{"stewardToken":', { timeoutMs: 200 });
  assert(!auth.ok);
  assertMatch(auth.error, /no token line received/);
  assert(Date.now() - started < 2000);
});
