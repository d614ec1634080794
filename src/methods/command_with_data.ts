import { STEWARD_DATA, substituteData } from "./substitute_data.ts";

/** A command ready to spawn: its arguments and the extra environment it needs. */
export interface CommandLine {
  argv: string[];
  /** Variables to add to the command's environment. */
  env: Record<string, string>;
}

/** The variable a shell script reads the data from. */
export const STEWARD_DATA_VARIABLE = "STEWARD_DATA";

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ash"]);

/**
 * Puts `data` (the output of the first method, in reply chaining) where `{{STEWARD_DATA}}`
 * stands in a command, without letting it become code.
 *
 * In a shell script (`bash -c "…"`), pasting the data into the text, as the seed did, runs
 * whatever shell syntax the answering node's output holds (`"; rm -rf ~; "`). Here the data goes
 * in the environment as `STEWARD_DATA`, and the placeholder becomes a reference to it that reads
 * the same as the pasted text in each quoting context: `${STEWARD_DATA}` unquoted and inside
 * double quotes, `'"${STEWARD_DATA}"'` inside single quotes. Commands that are not shell scripts
 * get the data pasted into their arguments, which no shell parses.
 *
 * @example
 * ```ts
 * import { commandWithData } from "./command_with_data.ts";
 * commandWithData(["bash", "-c", 'echo "{{STEWARD_DATA}}" > out.txt'], "$(id)");
 * // { argv: ["bash", "-c", 'echo "${STEWARD_DATA}" > out.txt'], env: { STEWARD_DATA: "$(id)" } }
 * commandWithData(["echo", "{{STEWARD_DATA}}"], "hi"); // { argv: ["echo", "hi"], env: {} }
 * ```
 */
export function commandWithData(argv: readonly string[], data: string): CommandLine {
  const shell = argv[0]?.split("/").pop() ?? "";
  if (
    !SHELLS.has(shell) || argv[1] !== "-c" || argv.length < 3 || !argv[2].includes(STEWARD_DATA)
  ) {
    return { argv: substituteData(argv, data), env: {} };
  }
  return {
    argv: [argv[0], "-c", referToData(argv[2]), ...substituteData(argv.slice(3), data)],
    env: { [STEWARD_DATA_VARIABLE]: data },
  };
}

/** Replaces each placeholder in `script` by a reference to the variable, by quoting context. */
function referToData(script: string): string {
  const ref = "${" + STEWARD_DATA_VARIABLE + "}";
  let out = "";
  let quote: "" | "'" | '"' = "";
  for (let i = 0; i < script.length;) {
    if (script.startsWith(STEWARD_DATA, i)) {
      out += quote === "'" ? `'"${ref}"'` : ref;
      i += STEWARD_DATA.length;
      continue;
    }
    const c = script[i];
    if (c === "\\" && quote !== "'") {
      out += script.slice(i, i + 2); // An escaped character never opens or closes a quote.
      i += 2;
      continue;
    }
    if (c === "'" && quote !== '"') quote = quote === "'" ? "" : "'";
    else if (c === '"' && quote !== "'") quote = quote === '"' ? "" : '"';
    out += c;
    i++;
  }
  return out;
}
