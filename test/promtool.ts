/**
 * Finds `promtool` (Debian's `prometheus` package ships it) for the tests that check /metrics.
 *
 * @module
 */
import { join } from "node:path";

/**
 * The path of a `promtool`: the one on PATH, or else, where `apt-get` works, the one in Debian's
 * `prometheus` package unpacked into a temporary folder (downloaded, never installed: installing
 * it would start a Prometheus server). Otherwise why it cannot be had.
 *
 * @example
 * ```ts ignore
 * import { findPromtool } from "./promtool.ts";
 * const promtool = await findPromtool();
 * if (typeof promtool !== "string") console.log(promtool.skipped);
 * ```
 */
export async function findPromtool(): Promise<string | { skipped: string }> {
  const onPath = await run("sh", ["-c", "command -v promtool"]);
  if (onPath.ok) return onPath.out.trim();
  const apt = await run("sh", ["-c", "command -v apt-get && command -v dpkg-deb"]);
  if (!apt.ok) {
    return { skipped: "no promtool on PATH and no apt-get to fetch Debian's prometheus package" };
  }
  const dir = await Deno.makeTempDir({ prefix: "steward-promtool-" });
  const fetched = await run("apt-get", ["download", "-qq", "prometheus"], dir);
  const deb = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".deb"))?.name;
  if (!fetched.ok || !deb) {
    return { skipped: `no promtool on PATH; apt-get download prometheus failed: ${fetched.out}` };
  }
  const unpacked = await run("dpkg-deb", ["-x", deb, "root"], dir);
  const path = join(dir, "root", "usr", "bin", "promtool");
  if (!unpacked.ok) return { skipped: `cannot unpack ${deb}: ${unpacked.out}` };
  return path;
}

async function run(cmd: string, args: string[], cwd?: string) {
  try {
    const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return { ok: out.success, out: text };
  } catch (err) {
    return { ok: false, out: (err as Error).message };
  }
}
