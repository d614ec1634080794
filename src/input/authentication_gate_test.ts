import { assertMatch } from "../../test/assert.ts";
import type { IntakePort } from "./intake_port.ts";
import { AuthenticationGate } from "./authentication_gate.ts";
import { ListenerToken } from "./listener_token.ts";

const limits = { idleMs: 1000, lingerMs: 100, maxPendingBytes: 1024 };
const fakeNode = { metrics: { rejected: { inc() {} } } } as unknown as IntakePort;

async function answerOf(conn: Deno.Conn): Promise<string> {
  return await new Response(conn.readable).text();
}

Deno.test("AuthenticationGate refuses a wrong token with one line, and extra waiting connections", async () => {
  const dir = await Deno.makeTempDir();
  const token = await ListenerToken.load(dir);
  const gate = new AuthenticationGate(token, { maxWaiting: 1, timeoutMs: 300 });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connect = () => Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const stop = new AbortController();
  try {
    // A silent client holds the only waiting place until its 300 ms are up.
    const silent = await connect();
    const served1 = gate.serve(fakeNode, await listener.accept(), limits, stop.signal);
    const second = await connect();
    const served2 = gate.serve(fakeNode, await listener.accept(), limits, stop.signal);
    assertMatch(await answerOf(second), /too many connections waiting to authenticate/);
    assertMatch(await answerOf(silent), /no token line received/);
    await Promise.all([served1, served2]);

    const wrong = await connect();
    await wrong.write(new TextEncoder().encode('{"stewardToken":"nope"}\n[]'));
    const served3 = gate.serve(fakeNode, await listener.accept(), limits, stop.signal);
    const answer = await answerOf(wrong);
    assertMatch(
      answer,
      /^\{"status":"rejected","error":"authentication failed: wrong listener token"\}\n$/,
    );
    await served3;
  } finally {
    stop.abort();
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});
