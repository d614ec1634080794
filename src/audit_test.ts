import { assert, assertEquals } from "../test/assert.ts";
import { testMessage } from "../test/message_fixture.ts";
import { AUDIT_DATA_LIMIT, auditedMessage, AuditLog } from "./audit.ts";

Deno.test("auditedMessage() keeps short data and replaces long data by its size and SHA-256", () => {
  const short = testMessage({ data: "x".repeat(AUDIT_DATA_LIMIT) });
  const accents = testMessage({ data: "é".repeat(AUDIT_DATA_LIMIT / 2) }); // 1 KiB of UTF-8
  assertEquals(auditedMessage(accents), accents);
  assertEquals(auditedMessage(short), short);
  const long = auditedMessage(testMessage({ data: "é".repeat(AUDIT_DATA_LIMIT) })) as Record<
    string,
    unknown
  >;
  assertEquals(long.data, undefined);
  assertEquals(long.dataBytes, 2 * AUDIT_DATA_LIMIT);
  assertEquals(typeof long.dataSha256, "string");
  assertEquals((long.dataSha256 as string).length, 64);
});

Deno.test("AuditLog writes lines, rotated at its limit, with long data hashed", async () => {
  const dir = await Deno.makeTempDir();
  const audit = await AuditLog.open(`${dir}/audit.log`, { maxBytes: 4096, maxFiles: 1 });
  for (let i = 0; i < 40; i++) {
    audit.record("published", "ship1.REQPing.EventACK", testMessage({ data: "y".repeat(5000) }));
    await new Promise((r) => setTimeout(r, 25)); // One batch each.
  }
  await audit.close();
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assertEquals(names, ["audit.log", "audit.log.1"]);
  for (const name of names) assert(Deno.statSync(`${dir}/${name}`).size <= 4096);
  const line = JSON.parse((await Deno.readTextFile(`${dir}/audit.log`)).split("\n")[0]);
  assertEquals(line.message.dataBytes, 5000);
});

Deno.test("AuditLog reports a failing rotation once (not per write) and still writes every line", async () => {
  const dir = await Deno.makeTempDir();
  const errors: string[] = [];
  const audit = await AuditLog.open(`${dir}/audit.log`, {
    maxBytes: 4096,
    maxFiles: 1,
    onError: (t) => errors.push(t),
  });
  // A folder in the way of audit.log.1: every rotation fails (even for root), lines still go.
  await Deno.mkdir(`${dir}/audit.log.1/in-the-way`, { recursive: true });
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 4; j++) {
      audit.record("published", "s", testMessage({ id: `${i}-${j}`, data: "z".repeat(1000) }));
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  await audit.close();
  assertEquals(errors.length, 1);
  assert(
    errors[0].startsWith(`audit log: cannot rotate ${dir}/audit.log (written past its limit`),
    errors[0],
  );
  const lines = (await Deno.readTextFile(`${dir}/audit.log`)).trim().split("\n");
  assertEquals(lines.length, 20);
});
