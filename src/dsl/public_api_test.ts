import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../../test/assert.ts";

const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));
const ROOT_URL = new URL("../../", import.meta.url).href;

async function deno(args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { ok: r.success, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

Deno.test("mod.ts imports only relative modules, node: built-ins and versioned npm: packages", async () => {
  const info = await deno(["info", "--json", "--no-lock", "--no-config", MOD]);
  assert(info.ok, info.err);
  const graph: { modules: { specifier: string }[] } = JSON.parse(info.out);
  const outside = graph.modules.map((m) => m.specifier).filter((s) =>
    !s.startsWith(ROOT_URL) && !s.startsWith("node:") &&
    !/^npm:\/?@?[^@]+@\d+\.\d+\.\d+/.test(s)
  );
  assertEquals(outside, []);
});

Deno.test("deno doc --lint mod.ts is clean and every export has an @example", async () => {
  const lint = await deno(["doc", "--lint", MOD]);
  assert(lint.ok, lint.err);
  const doc = await deno(["doc", "--json", MOD]);
  assert(doc.ok, doc.err);
  const parsed: {
    nodes: Record<string, {
      symbols: {
        name: string;
        declarations: { jsDoc?: { tags?: { kind: string }[] } }[];
      }[];
    }>;
  } = JSON.parse(doc.out);
  const symbols = Object.values(parsed.nodes).flatMap((n) => n.symbols);
  assert(symbols.length > 20, `only ${symbols.length} exports`);
  const missing = symbols.filter((s) =>
    !s.declarations.some((d) => d.jsDoc?.tags?.some((t) => t.kind === "example"))
  ).map((s) => s.name);
  assertEquals(missing, []);
});
