/**
 * Runs `deno check` on one file, for tests whose test data must (or must not) type-check: an
 * `@ts-expect-error` on a line that type-checks fails it as "Unused '@ts-expect-error'".
 *
 * @example
 * ```ts ignore
 * import { denoCheck } from "./deno_check.ts";
 * const { success, stderr } = await denoCheck("/path/to/file.ts");
 * ```
 */
export async function denoCheck(file: string): Promise<{ success: boolean; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--no-lock", file],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { success: out.success, stderr: new TextDecoder().decode(out.stderr) };
}
