import {
  connect,
  type NatsConnection,
  nkeyAuthenticator,
  PermissionViolationError,
  type Status,
} from "npm:@nats-io/transport-node@3.4.0";
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Agent, Broker, freePort, readOr, waitFor } from "../harness.ts";
import { type BrokerAuthFiles, generateBrokerAuth } from "../../scripts/nats_auth.ts";
import { keyFingerprint } from "../../src/security/fingerprint.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function setUp(tls: boolean) {
  const dir = await Deno.makeTempDir({ prefix: "steward-broker-auth-" });
  const port = freePort();
  const files = await generateBrokerAuth(join(dir, "auth"), {
    central: "central",
    nodes: ["ship1", "ship2"],
    port,
    host: "127.0.0.1",
    tls,
  });
  const broker = await Broker.start({ port, args: ["-c", files.config] });
  return { dir, files, broker };
}

function agentFlags(files: BrokerAuthFiles, node: string): string[] {
  const flags = [`-nkeySeedFile=${files.seeds[node]}`];
  if (files.tls) {
    flags.push(
      `-rootCAPath=${files.tls.ca}`,
      `-certFile=${files.tls.certs[node].certFile}`,
      `-keyFile=${files.tls.certs[node].keyFile}`,
    );
  }
  return flags;
}

async function connectAs(
  files: BrokerAuthFiles,
  port: number,
  node: string,
  statuses: Status[],
): Promise<NatsConnection> {
  const seed = (await Deno.readTextFile(files.seeds[node])).trim();
  const nc = await connect({
    servers: [`127.0.0.1:${port}`],
    authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
    inboxPrefix: `_INBOX.${node}`,
    tls: files.tls ? { caFile: files.tls.ca, ...files.tls.certs[node] } : undefined,
  });
  (async () => {
    for await (const s of nc.status()) statuses.push(s);
  })();
  return nc;
}

/** Subscribes to `subject` and resolves with the error the broker closes it with, if any. */
async function trySubscribe(nc: NatsConnection, subject: string): Promise<Error | undefined> {
  const sub = nc.subscribe(subject);
  await nc.flush();
  const outcome = await Promise.race([
    sub.closed.then((e) => e ?? new Error("closed without error")),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 1500)),
  ]);
  if (!outcome) sub.unsubscribe();
  return outcome;
}

Deno.test(
  "broker auth: a node's nkey cannot subscribe to another node's subjects or inboxes",
  opts,
  async () => {
    const { dir, files, broker } = await setUp(true);
    const statuses: Status[] = [];
    const nc = await connectAs(files, broker.port, "ship1", statuses);
    try {
      for (const subject of ["ship2.>", "ship2.REQCliCommand.CommandACK", "central.>"]) {
        const err = await trySubscribe(nc, subject);
        assert(err instanceof PermissionViolationError, `subscribe ${subject}: ${err}`);
        assertMatch(err.message, /Permissions Violation for Subscription/);
      }
      for (const subject of ["_INBOX.central.>", "_INBOX.>"]) {
        const err = await trySubscribe(nc, subject);
        assert(err instanceof PermissionViolationError, `subscribe ${subject}: ${err}`);
      }
      // Its own subjects and its own inbox are fine.
      assertEquals(await trySubscribe(nc, "ship1.REQCliCommand.CommandACK"), undefined);
      assertEquals(await trySubscribe(nc, "_INBOX.ship1.x"), undefined);
      // Publishing a command to another ship is refused too (the broker reports it).
      nc.publish("ship2.REQCliCommand.CommandACK", new TextEncoder().encode("{}"));
      await waitFor(
        () =>
          statuses.some((s) =>
            s.type === "error" &&
            /Permissions Violation for Publish to "ship2/.test(String(s.error))
          ),
        5000,
        "publish violation",
      );
      // With a valid client certificate but no nkey the broker refuses the connection (without
      // a certificate the TLS handshake already fails: `verify: true` in the config).
      const stranger = await connect({
        servers: [`127.0.0.1:${broker.port}`],
        tls: { caFile: files.tls!.ca, ...files.tls!.certs.ship2 },
        reconnect: false,
      }).then(() => "connected", (e: Error) => e.message);
      assertMatch(stranger, /Authorization Violation/i);
    } finally {
      await nc.close();
      await broker.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "broker auth: central and a ship exchange commands and replies over nkeys and mutual TLS, " +
    "with signatures required and sandboxed agents",
  opts,
  async () => {
    const { dir, files, broker } = await setUp(true);
    const agents: Agent[] = [];
    try {
      const start = async (name: string) => {
        const a = await Agent.start(name, {
          broker: broker.address,
          flags: [
            ...agentFlags(files, name),
            "-startPubREQHello=1",
            "-trustCentralOnFirstUse=true",
          ],
          sandbox: true,
          provision: false, // Fresh keys: the operator approves ship1's below.
        });
        agents.push(a);
        return a;
      };
      const central = await start("central");
      const ship1 = await start("ship1");
      await waitFor(() => central.output.includes("key of ship1 is pending"), 15_000, "ship1 key");
      const fingerprint = await keyFingerprint(
        await readOr(join(ship1.dir, "etc", "steward_ed25519.pub")),
      );
      await central.send({
        toNode: "central",
        method: "REQKeyApprove",
        methodArgs: ["ship1", fingerprint],
      });
      await waitFor(() => ship1.output.includes("pinned central's key"), 15_000, "trusted set");
      await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["echo", "over-tls"],
        replyMethod: "REQToFile",
        directory: "auth",
        fileName: "out.txt",
      });
      const out = await waitFor(() => readOr(central.file("auth", "ship1", "out.txt")), 15_000);
      assertEquals(out, "over-tls\n");
      await waitFor(
        () => readOr(central.file("hello-messages", "ship1", "hello.log")),
        10_000,
        "hello from ship1",
      );
    } finally {
      await Promise.all(agents.map((a) => a.destroy()));
      await broker.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
