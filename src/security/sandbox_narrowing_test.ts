import { join } from "node:path";
import { assertEquals, assertMatch } from "../../test/assert.ts";

// The narrowing runs in an agent-like subprocess with narrow permissions of its own: revoking
// in the test process itself would take permissions away from the rest of the test run.
const SCRIPT = `
import { defaultConfig } from ${JSON.stringify(new URL("../config.ts", import.meta.url).href)};
import { narrowSandbox } from ${
  JSON.stringify(new URL("./sandbox_narrowing.ts", import.meta.url).href)
};
const [a, b] = Deno.args;
const rule = (commands, paths) => ({ from: ["central"], methods: ["*"], commands, paths });
const before = { version: 1, rules: [rule([{ executable: "echo" }, { executable: "true" }], [a, b])] };
const after = { version: 2, rules: [rule([{ executable: "echo" }], [a])] };
const input = { config: defaultConfig({ nodeName: "ship1" }), configFolder: a, cwd: a };
const change = await narrowSandbox(input, before, after);
const tries = {};
for (const c of ["echo", "true"]) {
  try {
    await new Deno.Command(c, { stdout: "null" }).output();
    tries[c] = "ran";
  } catch (e) {
    tries[c] = e.message;
  }
}
for (const [k, p] of [["a", a], ["b", b]]) {
  tries[k] = await Deno.readTextFile(p + "/f").then(() => "read", (e) => e.message);
}
const wider = await narrowSandbox(input, after, before);
console.log(JSON.stringify({ change, tries, wider }));
`;

Deno.test("narrowSandbox() revokes what a narrower ACL no longer allows; Deno then refuses it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const [a, b] = [join(dir, "a"), join(dir, "b")];
    for (const d of [a, b]) {
      await Deno.mkdir(d);
      await Deno.writeTextFile(join(d, "f"), "x");
    }
    const script = join(dir, "narrow.js");
    await Deno.writeTextFile(script, SCRIPT);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-run=echo,true",
        `--allow-read=${a},${b},${script}`,
        "--allow-env",
        script,
        a,
        b,
      ],
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.success, true, new TextDecoder().decode(out.stderr));
    const { change, tries, wider } = JSON.parse(text);
    assertEquals(change, { revoked: ["run true", `read ${b}`], widerAtRestart: false });
    assertEquals(tries.echo, "ran");
    assertMatch(tries.true, /Requires run access to "true"/);
    assertEquals(tries.a, "read");
    assertMatch(tries.b, /Requires read access/);
    // Going back to the wider ACL cannot grant anything now: it needs a restart.
    assertEquals(wider, { revoked: [], widerAtRestart: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
