import { assertEquals } from "../test/assert.ts";
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL } from "node:url";

const toFileUrl = (path: string) => pathToFileURL(path);

const src = fromFileUrl(new URL(".", import.meta.url));

/** Every `.ts` file under `folder`, sorted. */
async function sourceFiles(folder: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory) files.push(...await sourceFiles(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) files.push(path);
  }
  return files.sort();
}

/**
 * The module graph of every file in src/ as Deno resolves it (`deno info --json`), type-only
 * imports included: a cycle of types still ties the modules together.
 */
async function importGraph(): Promise<Map<string, string[]>> {
  const dir = await Deno.makeTempDir({ prefix: "steward-cycles-" });
  try {
    const entry = `${dir}/all.ts`;
    const files = await sourceFiles(src.replace(/\/$/, ""));
    await Deno.writeTextFile(
      entry,
      files.map((f) => `import ${JSON.stringify(toFileUrl(f).href)};\n`).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr)}`);
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
      }[];
    };
    const inSrc = (s: string) => s.startsWith(toFileUrl(src).href);
    const graph = new Map<string, string[]>();
    for (const m of info.modules) {
      if (!inSrc(m.specifier)) continue;
      const deps = (m.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier])
        .filter((s): s is string => s !== undefined && inSrc(s));
      graph.set(m.specifier, [...new Set(deps)]);
    }
    return graph;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The strongly connected components with more than one module, or a module importing itself. */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found.map((c) => c.map((s) => relative(src, fromFileUrl(s))).sort());
}

Deno.test("cycles() finds a loop of imports and nothing in a chain", () => {
  const graph = new Map([
    [`file://${src}a.ts`, [`file://${src}b.ts`]],
    [`file://${src}b.ts`, [`file://${src}c.ts`]],
    [`file://${src}c.ts`, [`file://${src}a.ts`]],
    [`file://${src}d.ts`, [`file://${src}a.ts`]],
  ]);
  assertEquals(cycles(graph), [["a.ts", "b.ts", "c.ts"]]);
  graph.set(`file://${src}c.ts`, []);
  assertEquals(cycles(graph), []);
});

Deno.test("no module in src/ imports itself through others (type imports included)", async () => {
  const graph = await importGraph();
  if (graph.size < 50) throw new Error(`deno info saw only ${graph.size} modules of src/`);
  assertEquals(cycles(graph), []);
});
