/**
 * `deno run -A scripts/method_table.ts`: rewrites README.md's method table from the method
 * table (`src/methods/table.ts`), between its markers; `table_test.ts` fails while they differ.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { methodTableMarkdown } from "../src/methods/table.ts";

/** The markers around the generated table in README.md. */
export const TABLE_START = "<!-- method table: generated from src/methods/table.ts";
export const TABLE_END = "<!-- end of method table -->";

/**
 * `readme` with the text between the markers replaced by the generated table.
 *
 * @example
 * ```ts ignore
 * import { withMethodTable } from "./method_table.ts";
 * withMethodTable(await Deno.readTextFile("README.md"));
 * ```
 */
export function withMethodTable(readme: string): string {
  const start = readme.indexOf("\n", readme.indexOf(TABLE_START));
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error("README.md lacks the method table markers");
  return `${readme.slice(0, start)}\n\n${methodTableMarkdown()}\n\n${readme.slice(end)}`;
}

if (import.meta.main) {
  const path = fileURLToPath(new URL("../README.md", import.meta.url));
  await Deno.writeTextFile(path, withMethodTable(await Deno.readTextFile(path)));
  await new Deno.Command(Deno.execPath(), { args: ["fmt", path] }).output();
}
