/**
 * `deno task install` (the `steward` command from any folder) and `deno task compile`'s check
 * for a usable denort.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { Broker, ROOT, waitFor } from "../harness.ts";
import { checkDenort, denortUrl } from "../../scripts/denort.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test(
  "deno task install: steward runs from any folder, its folders made where it runs",
  opts,
  async () => {
    const installRoot = await Deno.makeTempDir({ prefix: "steward-install-" });
    const work = await Deno.makeTempDir({ prefix: "steward-anywhere-" });
    const broker = await Broker.start();
    try {
      const install = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(ROOT, "scripts/install.ts")],
        cwd: work,
        env: { DENO_INSTALL_ROOT: installRoot },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert(install.success, new TextDecoder().decode(install.stderr));
      const steward = join(installRoot, "bin", "steward");
      const child = new Deno.Command(steward, {
        args: ["-nodeName=ship1", `-brokerAddress=${broker.address}`, "-startPubREQHello=0"],
        cwd: work,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      let output = "";
      const collect = async (stream: ReadableStream<Uint8Array>) => {
        for await (const chunk of stream.pipeThrough(new TextDecoderStream())) output += chunk;
      };
      const done = Promise.all([collect(child.stdout), collect(child.stderr)]);
      try {
        await waitFor(() => output.includes("steward ship1: ready"), 30_000, `ready:\n${output}`);
        for (const made of ["etc/config.json", "var/lib/steward.kv", "tmp/steward.sock", "data"]) {
          assert(await exists(join(work, made)), `${made} in the folder steward ran in`);
        }
      } finally {
        child.kill("SIGTERM");
        await done;
        await child.status;
      }
    } finally {
      await broker.stop();
      await Deno.remove(installRoot, { recursive: true });
      await Deno.remove(work, { recursive: true });
    }
  },
);

Deno.test("checkDenort() offline says which URL to fetch and where to point DENORT_BIN", async () => {
  const emptyCache = await Deno.makeTempDir();
  try {
    const found = await checkDenort({ denortBin: "", denoDir: emptyCache, host: "denort.invalid" });
    assert(!found.ok);
    const url = denortUrl(Deno.version.deno, Deno.build.target);
    assertEquals(
      url,
      `https://dl.deno.land/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`,
    );
    assert(found.problem.includes(`fetch\n  ${url}\n`), found.problem);
    assertMatch(found.problem, /DENORT_BIN=\/path\/to\/denort deno task compile/);
    assertMatch(found.problem, /denort\.invalid cannot be resolved/);
    // A zip in the cache is what deno compile would use: no download needed.
    const cached = join(emptyCache, "dl", "release", `v${Deno.version.deno}`);
    await Deno.mkdir(cached, { recursive: true });
    await Deno.writeTextFile(join(cached, `denort-${Deno.build.target}.zip`), "");
    const again = await checkDenort({ denortBin: "", denoDir: emptyCache, host: "denort.invalid" });
    assertEquals(again.ok && again.source, "cache");
  } finally {
    await Deno.remove(emptyCache, { recursive: true });
  }
});

Deno.test("deno task compile refuses DENORT_BIN pointing at deno, before compiling", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/compile.ts", join(await Deno.makeTempDir(), "steward")],
    cwd: ROOT,
    env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 1);
  const said = new TextDecoder().decode(out.stderr);
  assertMatch(said, /compile: DENORT_BIN=.* is deno \(deno \d/);
  assert(said.includes(denortUrl(Deno.version.deno, Deno.build.target)), said);
});
