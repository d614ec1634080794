import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../../test/assert.ts";
import { denoCheck } from "../../test/deno_check.ts";
import { FLAGS } from "../config.ts";
import { type AclRule, checkAcl, COMMAND_METHODS, HARMLESS_METHODS } from "../security/acl.ts";
import { sandboxFor } from "../security/sandbox.ts";
import { CENTRAL_ONLY_METHODS, SELF_ONLY_METHODS } from "../security/security.ts";
import { defaultConfig } from "../config.ts";
import { Target } from "../dsl/target.ts";
import * as replyTargets from "../dsl/reply_target.ts";
import { METHODS } from "./registry.ts";
import { METHOD_TABLE, type MethodName, methodTableMarkdown } from "./table.ts";
import { TABLE_END, TABLE_START } from "../../scripts/method_table.ts";

const ROWS = Object.entries(METHOD_TABLE) as [MethodName, (typeof METHOD_TABLE)[MethodName]][];

Deno.test("every row has its handler, and the registry has nothing else", () => {
  assertEquals([...METHODS.keys()], ROWS.map(([name]) => name));
  for (const [name, row] of ROWS) {
    const def = METHODS.get(name)!;
    assertEquals(def.name, name);
    assertEquals(def.delivery, row.delivery);
    assertEquals(typeof def.handler, "function");
  }
});

Deno.test("every row's flag is a bool flag, on by default, and every startSub flag has a row", () => {
  const flags = Object.entries(FLAGS).filter(([name]) => name.startsWith("startSub"));
  assertEquals(
    new Set(flags.map(([name]) => name)),
    new Set(ROWS.map(([, row]) => row.flag)),
  );
  for (const [name, spec] of flags) {
    assertEquals([spec.kind, spec.default], ["bool", true], name);
    for (const [method, row] of ROWS) {
      if (row.flag === name) assert(spec.help.includes(method), `${name} help names ${method}`);
    }
  }
});

Deno.test("every access a row declares is judged by the ACL: refused until a rule allows it", () => {
  const samples: Record<
    string,
    { argv?: string[]; target?: string; field: Omit<AclRule, "from" | "methods"> }
  > = {
    command: { argv: ["/bin/true"], field: { commands: [{ executable: "/bin/true" }] } },
    read: { target: "/var/log/app.log", field: { paths: ["/var/log"] } },
    write: { target: "/srv/in/app.log", field: { writePaths: ["/srv/in"] } },
    url: { target: "https://example.org/x", field: { hosts: ["example.org"] } },
  };
  for (const [method, row] of ROWS) {
    const rule = { from: ["ship2"], methods: [method] };
    const access = "access" in row ? row.access : undefined;
    const sample = access ? samples[access.kind] : undefined;
    const request = { fromNode: "ship2", method, argv: sample?.argv, target: sample?.target };
    const bare = checkAcl({ version: 1, rules: [rule] }, "ship1", request);
    if (!access) {
      assertEquals(bare, undefined, method);
      continue;
    }
    assert(bare?.includes("may not"), `${method} without ${access.kind} rules: ${bare}`);
    const allowed = { version: 1, rules: [{ ...rule, ...samples[access.kind].field }] };
    assertEquals(checkAcl(allowed, "ship1", request), undefined, method);
  }
});

Deno.test("the sandbox grants what the ACL allows each kind of access the table uses", () => {
  const acl = {
    version: 1,
    rules: [{
      from: ["central"],
      methods: ["*"],
      commands: [{ executable: "/opt/tool" }],
      paths: ["/var/log/app"],
      hosts: ["example.org:443"],
    }],
  };
  const config = defaultConfig({ nodeName: "ship1" });
  const s = sandboxFor({ config, configFolder: "/etc/steward", acl, cwd: "/srv", path: "" });
  const kinds = new Set(ROWS.flatMap(([, row]) => "access" in row ? [row.access.kind] : []));
  if (kinds.has("command")) assertEquals(s.run, ["/opt/tool"]);
  if (kinds.has("read")) assert(s.read !== true && s.read.includes("/var/log/app"));
  if (kinds.has("url")) assert(s.net !== true && s.net.includes("example.org:443"));
});

Deno.test("who may call a method, and what the default ACL opens, come from the rows", () => {
  const where = (test: (row: Record<string, unknown>) => boolean) =>
    ROWS.filter(([, row]) => test(row)).map(([name]) => name);
  assertEquals([...CENTRAL_ONLY_METHODS], where((r) => r.onlyFrom === "central"));
  assertEquals([...SELF_ONLY_METHODS], where((r) => r.onlyFrom === "self"));
  assertEquals(HARMLESS_METHODS, where((r) => r.openByDefault === true));
  assertEquals(
    [...COMMAND_METHODS],
    where((r) => (r.access as { kind?: string } | undefined)?.kind === "command"),
  );
});

Deno.test("every row an operator sends names a DSL builder that exists", () => {
  for (const [method, row] of ROWS) {
    if (!("dsl" in row)) continue;
    const builder = (Target.prototype as unknown as Record<string, unknown>)[row.dsl] ??
      (replyTargets as Record<string, unknown>)[row.dsl];
    assertEquals(typeof builder, "function", `${method}: ${row.dsl}`);
  }
});

Deno.test("README.md's method table is the one the table generates", async () => {
  const path = fileURLToPath(new URL("../../README.md", import.meta.url));
  const readme = await Deno.readTextFile(path);
  // deno fmt pads the cells: compare them trimmed, and ignore the ruler row.
  const cells = (text: string) =>
    text.split("\n").filter((l) => l.startsWith("|") && !/^\|[\s|-]+\|$/.test(l)).map((l) =>
      l.split(/(?<!\\)\|/).map((c) => c.trim())
    );
  const section = readme.slice(readme.indexOf(TABLE_START), readme.indexOf(TABLE_END));
  assert(section !== "", "README.md lacks the method table markers");
  assertEquals(cells(section), cells(methodTableMarkdown()), "run scripts/method_table.ts");
});

Deno.test("deno check: a handler missing from the registry, or filed under another name, is a type error", async () => {
  const file = fileURLToPath(new URL("./testdata/registry_gaps.ts", import.meta.url));
  const { success, stderr } = await denoCheck(file);
  assert(success, `deno check failed:\n${stderr}`);
});
