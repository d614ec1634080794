/**
 * Finds the `denort` runtime `deno compile` builds on, before it is asked for: offline, the
 * compiler fails with a DNS error, and `DENORT_BIN` pointing at `deno` itself overflows a stack.
 *
 * @module
 */
import { join } from "node:path";

/** Where a denort for this Deno comes from, or what to do to get one. */
export type DenortCheck =
  | { ok: true; source: "DENORT_BIN" | "cache" | "download"; path?: string }
  | { ok: false; problem: string };

/** What {@linkcode checkDenort} looks at; each defaults to this process's. */
export interface DenortOptions {
  /** The `DENORT_BIN` variable (default: the environment's). */
  denortBin?: string;
  /** Deno's cache folder (default: `deno info --json`'s `denoDir`). */
  denoDir?: string;
  /** The host denort is downloaded from (default `dl.deno.land`). */
  host?: string;
  /** Deno's version and target (default: this Deno's). */
  version?: string;
  target?: string;
}

/**
 * The URL `deno compile` downloads denort from for `version` and `target`.
 *
 * @example
 * ```ts
 * import { denortUrl } from "./denort.ts";
 * denortUrl("2.9.6", "x86_64-unknown-linux-gnu");
 * // "https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip"
 * ```
 */
export function denortUrl(version: string, target: string): string {
  return `https://dl.deno.land/release/v${version}/denort-${target}.zip`;
}

/**
 * Checks that `deno compile` can get a denort: `DENORT_BIN` names an executable that is not
 * `deno`, or Deno's cache holds the zip, or the download host resolves. Otherwise says exactly
 * what to fetch and where to point `DENORT_BIN`.
 *
 * @example
 * ```ts ignore
 * import { checkDenort } from "./denort.ts";
 * const found = await checkDenort();
 * if (!found.ok) console.error(found.problem);
 * ```
 */
export async function checkDenort(options: DenortOptions = {}): Promise<DenortCheck> {
  const version = options.version ?? Deno.version.deno;
  const target = options.target ?? Deno.build.target;
  const url = denortUrl(version, target);
  const bin = options.denortBin ?? Deno.env.get("DENORT_BIN");
  if (bin) return await checkDenortBin(bin, version, url);
  const denoDir = options.denoDir ?? await denoCacheFolder();
  const cached = join(denoDir, "dl", "release", `v${version}`, `denort-${target}.zip`);
  if (await isFile(cached)) return { ok: true, source: "cache", path: cached };
  const host = options.host ?? "dl.deno.land";
  try {
    await Deno.resolveDns(host, "A");
    return { ok: true, source: "download" };
  } catch (err) {
    return {
      ok: false,
      problem: `no denort runtime for Deno ${version} (${target}): DENORT_BIN is not set, ` +
        `Deno's cache has none (${cached}), and ${host} cannot be resolved ` +
        `(${(err as Error).message}).\n` +
        `On a machine that is online, fetch\n  ${url}\n` +
        `unzip it, copy the \`denort\` file it holds to this machine and run\n` +
        `  DENORT_BIN=/path/to/denort deno task compile\n` +
        `(or copy the zip itself to ${cached}).`,
    };
  }
}

async function checkDenortBin(bin: string, version: string, url: string): Promise<DenortCheck> {
  const fetch = `fetch ${url}, unzip it and point DENORT_BIN at the \`denort\` file it holds`;
  let info;
  try {
    info = await Deno.stat(bin);
  } catch (err) {
    return { ok: false, problem: `DENORT_BIN=${bin}: ${(err as Error).message}; ${fetch}` };
  }
  if (!info.isFile || !((info.mode ?? 0o111) & 0o111)) {
    return { ok: false, problem: `DENORT_BIN=${bin} is not an executable file; ${fetch}` };
  }
  // `deno` answers --version with its name; denort, the bare runtime, does not.
  const asked = await new Deno.Command(bin, {
    args: ["--version"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(10_000),
  }).output().catch(() => undefined);
  const said = asked ? new TextDecoder().decode(asked.stdout) : "";
  if (/^deno \d/.test(said)) {
    return {
      ok: false,
      problem: `DENORT_BIN=${bin} is deno (${said.split("\n")[0]}), not the denort runtime ` +
        `that compiled programs run on; ${fetch} (the same version as this Deno, ${version})`,
    };
  }
  return { ok: true, source: "DENORT_BIN", path: bin };
}

async function denoCacheFolder(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
