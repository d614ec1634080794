import { STEWARD_DATA, substituteData } from "./substitute_data.ts";
import {
  ALLOWED_SCRIPT_FORMS,
  analyseDataScript,
  DATA_ARGUMENT_COMMANDS,
  printfRefusal,
  STEWARD_DATA_VARIABLE,
} from "./data_script.ts";
import { MethodError } from "./types.ts";

export { STEWARD_DATA_VARIABLE };

/** A command ready to spawn: its arguments and the extra environment it needs. */
export interface CommandLine {
  argv: string[];
  /** Variables to add to the command's environment. */
  env: Record<string, string>;
}

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ash"]);
const SHELL_FLAGS = /^-[euxvfco]+$/;
const SHELL_OPTIONS = new Set(["pipefail", "errexit", "nounset", "xtrace", "noglob", "posix"]);
const SHELL_LONG_OPTIONS = new Set(["--noprofile", "--norc"]);

/** The argv forms in which `{{STEWARD_DATA}}` may appear, said in every refusal. */
export const ALLOWED_DATA_FORMS = "{{STEWARD_DATA}} is allowed only in these forms: " +
  '[shell, options…, "-c", script, args…] where shell is sh/bash/dash/zsh/ksh/ash by name or ' +
  "absolute path (optionally after a bare /usr/bin/env), options are -e -u -x -v -f (combined " +
  "as in -ec or -euo pipefail), -o pipefail/errexit/nounset/xtrace/noglob/posix, --noprofile, " +
  "--norc, " +
  "and the placeholder is only in the script; or [echo|printf, args…] with the placeholder as " +
  "an argument (for printf after a literal %s/%b/%q/%c format). " + ALLOWED_SCRIPT_FORMS;

/** How a command holding the placeholder will take the data, or why it may not. */
export type DataCommandPlan =
  | { kind: "none" }
  | { kind: "shell"; argv: string[] }
  | { kind: "paste" }
  | { kind: "refused"; error: string };

function baseName(path: string): string | undefined {
  if (path.startsWith("/")) return path.slice(path.lastIndexOf("/") + 1);
  return path.includes("/") ? undefined : path;
}

/**
 * Decides how `argv` may take the data where `{{STEWARD_DATA}}` stands: nowhere (no
 * placeholder), as the `STEWARD_DATA` variable of a shell script that never evaluates it (the
 * script rewritten), pasted as an argument of `echo`/`printf`, or not at all (refused, with the
 * allowed forms). The same decision is taken when a request is accepted and when the command
 * is about to run.
 *
 * @example
 * ```ts
 * import { planDataCommand } from "./command_with_data.ts";
 * planDataCommand(["bash", "-ec", "echo {{STEWARD_DATA}}"]);
 * // { kind: "shell", argv: ["bash", "-f", "-ec", "echo ${STEWARD_DATA}"] }
 * planDataCommand(["python3", "-c", "print('{{STEWARD_DATA}}')"]).kind; // "refused"
 * ```
 */
export function planDataCommand(argv: readonly string[]): DataCommandPlan {
  if (!argv.some((a) => a.includes(STEWARD_DATA))) return { kind: "none" };
  const refused = (why: string): DataCommandPlan => ({
    kind: "refused",
    error: `${why}; ${ALLOWED_DATA_FORMS}`,
  });
  const name = baseName(argv[0] ?? "");
  if (name === "env") {
    const next = argv[1] ?? "";
    if (next === "" || next.startsWith("-") || next.includes("=") || next.includes(STEWARD_DATA)) {
      return refused("env may only name the command directly (no options or assignments)");
    }
    const inner = planDataCommand(argv.slice(1));
    if (inner.kind === "shell") return { kind: "shell", argv: [argv[0], ...inner.argv] };
    return inner;
  }
  if (argv[0].includes(STEWARD_DATA)) return refused("{{STEWARD_DATA}} may not be the command");
  if (name !== undefined && SHELLS.has(name)) return shellPlan(argv, refused);
  if (name !== undefined && DATA_ARGUMENT_COMMANDS.has(name)) {
    if (name === "printf") {
      const why = printfRefusal(
        argv.slice(1).map((a) => ({
          raw: a,
          literal: a.includes(STEWARD_DATA) ? undefined : a,
          hasData: a.includes(STEWARD_DATA),
        })),
      );
      if (why) return refused(why);
    }
    return { kind: "paste" };
  }
  return refused(`${argv[0]} is neither a shell nor echo/printf`);
}

function shellPlan(
  argv: readonly string[],
  refused: (why: string) => DataCommandPlan,
): DataCommandPlan {
  let i = 1;
  let sawC = false;
  while (i < argv.length && !sawC) {
    const a = argv[i];
    if (a.includes(STEWARD_DATA)) return refused("{{STEWARD_DATA}} may not be a shell option");
    if (SHELL_FLAGS.test(a)) {
      sawC = a.includes("c");
      // Each `o` takes the next argument as an option's name (`-euo pipefail`); with `c` in
      // the same cluster the order of the two arguments would be ambiguous: refused.
      const names = a.split("o").length - 1;
      if (names > 0 && sawC) return refused(`shell option cluster ${a} mixes -o and -c`);
      for (let n = 0; n < names; n++) {
        const option = argv[i + 1] ?? "";
        if (!SHELL_OPTIONS.has(option)) {
          return refused(`shell option -o ${JSON.stringify(option)} is not one of the allowed`);
        }
        i++;
      }
    } else if (SHELL_LONG_OPTIONS.has(a)) {
      // Accepted as bash spells them; they only skip start-up files.
    } else return refused(`shell option ${JSON.stringify(a)} is not one of the allowed`);
    i++;
  }
  if (!sawC || i >= argv.length) return refused("a shell must be given -c and a script");
  if (argv.slice(i + 1).some((a) => a.includes(STEWARD_DATA))) {
    return refused("{{STEWARD_DATA}} may appear only in the script, not after it");
  }
  const script = analyseDataScript(argv[i]);
  if ("error" in script) return refused(`in the script: ${script.reason}`);
  // -f is noglob in sh, bash, dash, ksh and ash; in zsh it skips start-up files, and zsh never
  // globs or splits a bare ${NAME} anyway.
  const noglob = script.noglob ? ["-f"] : [];
  return {
    kind: "shell",
    argv: [argv[0], ...noglob, ...argv.slice(1, i), script.script, ...argv.slice(i + 1)],
  };
}

/**
 * Why `argv` may not hold `{{STEWARD_DATA}}` as written, or undefined when it may (or does not
 * hold it). Used when a request is accepted, so that the operator learns at once.
 *
 * @example
 * ```ts
 * import { dataCommandRefusal } from "./command_with_data.ts";
 * dataCommandRefusal(["bash", "-c", 'echo "{{STEWARD_DATA}}" > a.txt']); // undefined
 * ```
 */
export function dataCommandRefusal(argv: readonly string[]): string | undefined {
  const plan = planDataCommand(argv);
  return plan.kind === "refused" ? plan.error : undefined;
}

/**
 * Puts `data` (the output of the first method, in reply chaining) where `{{STEWARD_DATA}}`
 * stands in a command, without letting it become code.
 *
 * In a shell script (`bash -c "…"`), pasting the data into the text, as the seed did, runs
 * whatever shell syntax the answering node's output holds (`"; rm -rf ~; "`). Here the data goes
 * in the environment as `STEWARD_DATA`, and the placeholder becomes a reference to it that the
 * shell never evaluates again (see data_script.ts); `echo` and `printf` run directly get the
 * data pasted into their arguments, which no shell parses. Any other form is refused.
 *
 * @throws {MethodError} when the command is not one of the allowed forms.
 * @example
 * ```ts
 * import { commandWithData } from "./command_with_data.ts";
 * commandWithData(["bash", "-c", 'echo "{{STEWARD_DATA}}" > out.txt'], "$(id)");
 * // { argv: ["bash", "-c", 'echo "${STEWARD_DATA}" > out.txt'], env: { STEWARD_DATA: "$(id)" } }
 * commandWithData(["echo", "{{STEWARD_DATA}}"], "hi"); // { argv: ["echo", "hi"], env: {} }
 * ```
 */
export function commandWithData(argv: readonly string[], data: string): CommandLine {
  const plan = planDataCommand(argv);
  switch (plan.kind) {
    case "none":
      return { argv: [...argv], env: {} };
    case "paste":
      return { argv: substituteData(argv, data), env: {} };
    case "shell":
      return { argv: plan.argv, env: { [STEWARD_DATA_VARIABLE]: data } };
    case "refused":
      throw new MethodError(`refused to run ${JSON.stringify(argv)}: ${plan.error}`);
  }
}
