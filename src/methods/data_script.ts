/**
 * The shell scripts in which `{{STEWARD_DATA}}` may stand, and how the placeholder is rewritten
 * into a reference to the `STEWARD_DATA` variable that the shell never evaluates again.
 *
 * @module
 */
import { STEWARD_DATA } from "./substitute_data.ts";

/** The variable a shell script reads the data from. */
export const STEWARD_DATA_VARIABLE = "STEWARD_DATA";

/** Commands whose arguments may hold the data: they print them and interpret nothing. */
export const DATA_ARGUMENT_COMMANDS: ReadonlySet<string> = new Set(["echo", "printf"]);

/**
 * Commands that may read the data on their standard input (from `<<<` or a pipe): they treat it
 * as text. `sort` is not one (`--compress-program` hands the data to a program).
 */
export const DATA_INPUT_COMMANDS: ReadonlySet<string> = new Set([
  "cat",
  "tee",
  "head",
  "tail",
  "wc",
  "uniq",
  "tr",
  "cut",
  "grep",
  "base64",
  "sha256sum",
  "md5sum",
]);

/** Words that start a compound command or change how later words are read. */
const KEYWORDS = new Set([
  "if",
  "then",
  "else",
  "elif",
  "fi",
  "for",
  "while",
  "until",
  "do",
  "done",
  "case",
  "esac",
  "select",
  "function",
  "time",
  "coproc",
  "!",
  "{",
  "}",
  "[[",
  "]]",
]);

/**
 * Builtins that redefine what a later command name means (`alias echo=eval`, `enable -n echo`,
 * `hash -p /bin/sh echo`) or evaluate text: refused anywhere in a script that carries the data,
 * so that `echo` and `printf` stay what the analysis assumes.
 */
const REDEFINING = new Set([
  "alias",
  "enable",
  "hash",
  "shopt",
  "eval",
  "source",
  ".",
  "exec",
  "trap",
  "command",
  "builtin",
]);

/** What the placeholder may be part of, said in every refusal. */
export const ALLOWED_SCRIPT_FORMS =
  "in a shell script, {{STEWARD_DATA}} may appear only as an argument of echo, or of printf " +
  "after a literal format of %s/%b/%q/%c, or after <<< given to " +
  [...DATA_INPUT_COMMANDS].join("/") + "; the script must be simple commands joined by ; && || " +
  "| & or newlines, with literal words, quotes, $NAME or ${NAME}, and redirections to literal " +
  "files; a pipeline carrying the data may continue only into " +
  [...DATA_INPUT_COMMANDS].join("/") +
  " (no $( ), backticks, arithmetic, [[ ]], ( ), { }, here-documents, keywords, eval/source/" +
  "exec/alias/enable/hash/shopt/trap/command/builtin, or a mention of $STEWARD_DATA itself)";

/**
 * The outcome of {@linkcode analyseDataScript}: the script to run, and whether the shell must
 * run it with `-f` (no pathname expansion), or why it is refused (`reason`, and `error`: the
 * reason followed by the allowed forms).
 */
export type DataScript =
  | { script: string; noglob: boolean }
  | { error: string; reason: string };

/** A word of a command line, as the analysis sees it. */
export interface Word {
  /** The word as written (placeholder included). */
  raw: string;
  /** Its value after quote removal, when it holds no expansion and no data. */
  literal?: string;
  /** Holds the placeholder. */
  hasData: boolean;
}

interface SimpleCommand {
  words: Word[];
  /** Words given to `<<<`. */
  hereStrings: Word[];
  /** Files named by redirections (`> f`, `2>&1`'s `1`). */
  targets: Word[];
  /** Reads the previous command's output (`a | b`). */
  piped: boolean;
}

class Refused extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const SPECIAL_PARAMETER = /^[0-9@*#?$!-]/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
const SAFE_PRINTF_FORMAT = /^(?:[^%]|%%|%[-+ #0]*[0-9]*(?:\.[0-9]+)?[sbqc])*$/;

/**
 * Checks that `script` (the text after `sh -c`) uses `{{STEWARD_DATA}}` only where its value is
 * never evaluated again, and rewrites each placeholder into a reference to `$STEWARD_DATA` that
 * reads as the pasted text did in its quoting context: `${STEWARD_DATA}` inside double quotes,
 * `'"${STEWARD_DATA}"'` inside single quotes, `"${STEWARD_DATA}"` after `<<<`, and bare
 * `${STEWARD_DATA}` elsewhere: split into words as the seed documents ("echo removes new
 * lines"), but never globbed, since the script then runs with `-f` (`noglob`), and refused if
 * it has globs of its own that `-f` would turn off.
 *
 * This is a whitelist: a script the analysis does not fully understand is refused, with
 * {@linkcode ALLOWED_SCRIPT_FORMS} in the error.
 *
 * @example
 * ```ts
 * import { analyseDataScript } from "./data_script.ts";
 * analyseDataScript('echo "{{STEWARD_DATA}}" > out.txt');
 * // { script: 'echo "${STEWARD_DATA}" > out.txt', noglob: false }
 * analyseDataScript("echo $(( {{STEWARD_DATA}} + 1 ))"); // { error: "…arithmetic…" }
 * ```
 */
export function analyseDataScript(script: string): DataScript {
  try {
    const reader = new ScriptReader(script);
    const text = reader.read();
    if (reader.bareData && reader.glob) {
      throw new Refused(
        "a bare {{STEWARD_DATA}} makes the script run without pathname expansion (-f), and " +
          "the script has globs of its own: quote the placeholder or the glob",
      );
    }
    return { script: text, noglob: reader.bareData };
  } catch (err) {
    if (err instanceof Refused) {
      return { error: `${err.message}; ${ALLOWED_SCRIPT_FORMS}`, reason: err.message };
    }
    throw err;
  }
}

/**
 * Checks the arguments of `printf` (after its name): options and the format are literal, the
 * format converts only with %s/%b/%q/%c, and the data comes after it. Returns why not, if not.
 */
export function printfRefusal(args: readonly Word[]): string | undefined {
  let i = 0;
  while (i < args.length) {
    const a = args[i];
    if (a.hasData) return "printf: {{STEWARD_DATA}} may not be an option or the format";
    if (a.literal === "--") {
      i++;
      break;
    }
    if (a.literal === "-v") {
      i += 2; // The variable's name: checked below as not data.
      if (args[i - 1]?.hasData) return "printf: {{STEWARD_DATA}} may not name the variable";
      continue;
    }
    if (a.literal !== undefined && a.literal.startsWith("-") && a.literal !== "-") {
      return `printf: unknown option ${a.literal}`;
    }
    break;
  }
  const format = args[i];
  if (format === undefined) return undefined;
  if (format.hasData) return "printf: {{STEWARD_DATA}} may not be the format";
  if (format.literal === undefined) return "printf: the format must be a literal word";
  if (!SAFE_PRINTF_FORMAT.test(format.literal)) {
    return `printf: the format ${JSON.stringify(format.literal)} may convert only with %s, %b, ` +
      "%q or %c (numeric conversions evaluate arithmetic in some shells)";
  }
  return undefined;
}

/** The command's name without its folder (`/bin/echo` → `echo`), when written literally. */
function commandName(word: Word | undefined): string | undefined {
  const name = word?.literal;
  if (name === undefined) return undefined;
  if (name.startsWith("/")) return name.slice(name.lastIndexOf("/") + 1);
  return name.includes("/") ? undefined : name;
}

/** One pass over the script: rewrites it, collects its simple commands, refuses what it must. */
class ScriptReader {
  #s: string;
  #i = 0;
  #out = "";
  #word: Word | undefined;
  /** The current word can still be an fd number before `<`/`>` (`2>`). */
  #wordIsFd = false;
  #pendingRedirect: "target" | "hereString" | undefined;
  #command: SimpleCommand = { words: [], hereStrings: [], targets: [], piped: false };
  #pipeline: SimpleCommand[] = [];
  /** A placeholder stands outside quotes (not after `<<<`): its words must not be globbed. */
  bareData = false;
  /** The script has unquoted glob characters of its own. */
  glob = false;

  constructor(script: string) {
    this.#s = script;
  }

  read(): string {
    const s = this.#s;
    while (this.#i < s.length) {
      if (s.startsWith(STEWARD_DATA, this.#i)) {
        const ref = "${" + STEWARD_DATA_VARIABLE + "}";
        const hereString = this.#pendingRedirect === "hereString";
        this.bareData ||= !hereString;
        this.#data(hereString ? `"${ref}"` : ref);
        continue;
      }
      const c = s[this.#i];
      if (c === " " || c === "\t") {
        this.#endWord();
        this.#emit(c);
      } else if (c === "\n") {
        this.#endPipeline();
        this.#emit(c);
      } else if (c === "#" && this.#word === undefined) {
        const end = s.indexOf("\n", this.#i);
        this.#emit(s.slice(this.#i, end < 0 ? s.length : end));
      } else if (c === ";") {
        if (s[this.#i + 1] === ";" || s[this.#i + 1] === "&") throw new Refused("case arms (;;)");
        this.#endPipeline();
        this.#emit(c);
      } else if (c === "&" || c === "|") this.#operator(c);
      else if (c === "<" || c === ">") this.#redirection();
      else if (c === "(" || c === ")") {
        throw new Refused("subshells, functions and process substitution ( ) are not allowed");
      } else if (c === "{" || c === "}") {
        throw new Refused("braces (groups, brace expansion) outside quotes are not allowed");
      } else if (c === "`") throw new Refused("backticks (command substitution) are not allowed");
      else if (c === "\\") {
        const next = s[this.#i + 1];
        if (next === undefined) throw new Refused("the script ends with a backslash");
        if (next === "\n") this.#emit("\\\n"); // A line continuation joins, not a character.
        else this.#append("\\" + next, next);
      } else if (c === "'") this.#singleQuoted();
      else if (c === '"') this.#doubleQuoted();
      else if (c === "$") this.#dollar();
      else {
        this.glob ||= c === "*" || c === "?" || c === "[";
        this.#append(c, c);
      }
    }
    this.#endPipeline();
    return this.#out;
  }

  #emit(text: string): void {
    this.#out += text;
    this.#i += text.length;
  }

  /** Adds written text (`raw`, which is what the script holds) with value `value` to the word. */
  #append(raw: string, value: string | undefined, fd = /^[0-9]$/.test(raw)): void {
    if (!this.#word) {
      this.#word = { raw: "", literal: "", hasData: false };
      this.#wordIsFd = true;
    }
    this.#word.raw += raw;
    if (this.#word.literal !== undefined && value !== undefined) this.#word.literal += value;
    else this.#word.literal = undefined;
    this.#wordIsFd &&= fd;
    this.#emit(raw);
  }

  #data(reference: string): void {
    if (!this.#word) this.#word = { raw: "", literal: "", hasData: false };
    this.#word.raw += STEWARD_DATA;
    this.#word.hasData = true;
    this.#word.literal = undefined;
    this.#wordIsFd = false;
    this.#out += reference;
    this.#i += STEWARD_DATA.length;
  }

  #singleQuoted(): void {
    const s = this.#s;
    const end = s.indexOf("'", this.#i + 1);
    if (end < 0) throw new Refused("a single quote is not closed");
    const body = s.slice(this.#i + 1, end);
    if (!body.includes(STEWARD_DATA)) {
      this.#append(`'${body}'`, body, false);
      return;
    }
    // Each placeholder closes the quote, inserts the variable in double quotes and reopens it.
    const parts = body.split(STEWARD_DATA);
    parts.forEach((part, n) => {
      this.#append(`'${part}'`, part, false);
      if (n < parts.length - 1) this.#data(`"\${${STEWARD_DATA_VARIABLE}}"`);
    });
    // #append and #data advanced by what they wrote, not by what was read: set it right.
    this.#i = end + 1;
  }

  #doubleQuoted(): void {
    const s = this.#s;
    this.#append('"', "", false);
    while (true) {
      if (this.#i >= s.length) throw new Refused("a double quote is not closed");
      if (s.startsWith(STEWARD_DATA, this.#i)) {
        this.#data("${" + STEWARD_DATA_VARIABLE + "}");
        continue;
      }
      const c = s[this.#i];
      if (c === '"') {
        this.#append('"', "", false);
        return;
      }
      if (c === "`") throw new Refused("backticks (command substitution) are not allowed");
      if (c === "$") {
        this.#dollar();
        continue;
      }
      if (c === "\\") {
        const next = s[this.#i + 1];
        if (next === undefined) throw new Refused("a double quote is not closed");
        const escapes = '$`"\\\n'.includes(next);
        this.#append("\\" + next, escapes ? (next === "\n" ? "" : next) : "\\" + next, false);
        continue;
      }
      this.#append(c, c, false);
    }
  }

  /** `$NAME`, `${NAME}` and the special parameters; every other expansion is refused. */
  #dollar(): void {
    const rest = this.#s.slice(this.#i + 1);
    const name = NAME.exec(rest)?.[0];
    if (name) {
      this.#expansion(name, "$" + name);
      return;
    }
    if (SPECIAL_PARAMETER.test(rest)) {
      this.#expansion(rest[0], "$" + rest[0]);
      return;
    }
    if (rest.startsWith("{")) {
      const braced = /^\{([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])\}/.exec(rest);
      if (!braced) {
        throw new Refused(
          "only ${NAME} is allowed inside ${ } (no operators, subscripts or indirection)",
        );
      }
      this.#expansion(braced[1], "$" + braced[0]);
      return;
    }
    if (rest.startsWith("(")) {
      throw new Refused("$( ) and $(( )) (command substitution, arithmetic) are not allowed");
    }
    if (rest.startsWith("[")) throw new Refused("$[ ] (arithmetic) is not allowed");
    if (rest.startsWith("'") || rest.startsWith('"')) {
      throw new Refused("$'…' and $\"…\" quoting are not allowed");
    }
    this.#append("$", "$", false);
  }

  #expansion(name: string, raw: string): void {
    if (name === STEWARD_DATA_VARIABLE) {
      throw new Refused("the script may refer to the data only as {{STEWARD_DATA}}");
    }
    this.#append(raw, undefined, false);
  }

  /** `&&`, `||`, `|`, `|&`, `&`, and `&>`/`&>>` (a redirection). */
  #operator(c: "&" | "|"): void {
    const s = this.#s;
    const next = s[this.#i + 1];
    if (c === "&" && next === ">") {
      this.#redirection();
      return;
    }
    if (next === c) {
      this.#endPipeline();
      this.#emit(c + c);
      return;
    }
    if (c === "|") {
      this.#endCommand();
      this.#emit(next === "&" ? "|&" : "|");
      this.#command.piped = true;
      return;
    }
    this.#endPipeline();
    this.#emit("&");
  }

  /** `<`, `>`, `>>`, `<<<`, `>&`, `<&`, `<>`, `>|`, `&>`, `&>>`, with an optional fd before. */
  #redirection(): void {
    if (this.#word && !this.#wordIsFd) this.#endWord();
    const fd = this.#word;
    this.#word = undefined; // An fd number is part of the operator, not a word.
    if (fd?.hasData) throw new Refused("{{STEWARD_DATA}} may not be a file descriptor");
    const op = /^(<<<|<<|<>|<&|<\(|<|&>>|&>|>>|>&|>\||>\(|>)/.exec(this.#s.slice(this.#i))![0];
    if (op === "<<") throw new Refused("here-documents (<<) are not allowed; use <<<");
    if (op.endsWith("(")) throw new Refused("process substitution <( ) >( ) is not allowed");
    if (this.#pendingRedirect) throw new Refused(`a redirection ${op} has no file`);
    this.#emit(op);
    this.#pendingRedirect = op === "<<<" ? "hereString" : "target";
  }

  #endWord(): void {
    const word = this.#word;
    this.#word = undefined;
    this.#wordIsFd = false;
    if (!word) return;
    if (this.#pendingRedirect === "hereString") this.#command.hereStrings.push(word);
    else if (this.#pendingRedirect === "target") this.#command.targets.push(word);
    else this.#command.words.push(word);
    this.#pendingRedirect = undefined;
  }

  #endCommand(): void {
    this.#endWord();
    if (this.#pendingRedirect) throw new Refused("a redirection has no file");
    const c = this.#command;
    if (c.words.length === 0 && c.hereStrings.length === 0 && c.targets.length === 0) {
      if (c.piped) throw new Refused("a pipe | leads nowhere");
    } else this.#pipeline.push(c);
    this.#command = { words: [], hereStrings: [], targets: [], piped: false };
  }

  #endPipeline(): void {
    this.#endCommand();
    let dataFlows = false;
    for (const c of this.#pipeline) {
      const name = checkCommand(c);
      if (dataFlows && c.piped && !DATA_INPUT_COMMANDS.has(name ?? "")) {
        throw new Refused(
          `the data may be piped only into ${[...DATA_INPUT_COMMANDS].join("/")}, not into ${
            name ?? "a command whose name is not literal"
          }`,
        );
      }
      dataFlows = (dataFlows && c.piped) ||
        c.words.some((w) => w.hasData) || c.hereStrings.some((w) => w.hasData);
    }
    this.#pipeline = [];
  }
}

/** Refuses a simple command that would evaluate the data; returns its command name. */
function checkCommand(c: SimpleCommand): string | undefined {
  if (c.targets.some((w) => w.hasData)) {
    throw new Refused("{{STEWARD_DATA}} may not name a file to redirect to or from");
  }
  let at = 0;
  while (at < c.words.length && ASSIGNMENT.test(c.words[at].raw)) {
    if (c.words[at].hasData) throw new Refused("{{STEWARD_DATA}} may not be assigned");
    at++;
  }
  const nameWord = c.words[at];
  if (nameWord?.hasData) throw new Refused("{{STEWARD_DATA}} may not be a command name");
  if (nameWord && nameWord.literal === undefined) {
    throw new Refused("a command name must be a literal word (no $ in it)");
  }
  const written = nameWord?.literal;
  if (written !== undefined && KEYWORDS.has(written)) {
    throw new Refused(`"${written}": compound commands and keywords are not allowed`);
  }
  const name = commandName(nameWord);
  if (written !== undefined && REDEFINING.has(name ?? written)) {
    throw new Refused(`"${written}" is not allowed in a script that carries the data`);
  }
  const args = c.words.slice(at + 1);
  if (name === "set" && args.some((w) => w.literal === undefined || w.literal.startsWith("+"))) {
    // `set +f` would undo the -f that keeps a bare placeholder from being globbed.
    throw new Refused("set may not turn shell options off (+) in a script that carries the data");
  }
  if (args.some((w) => w.hasData)) {
    if (name === undefined || !DATA_ARGUMENT_COMMANDS.has(name)) {
      throw new Refused(
        `{{STEWARD_DATA}} may be an argument only of ${[...DATA_ARGUMENT_COMMANDS].join("/")}, ` +
          `not of ${written ?? "a command without a name"}`,
      );
    }
    if (name === "printf") {
      const why = printfRefusal(args);
      if (why) throw new Refused(why);
    }
  }
  if (c.hereStrings.some((w) => w.hasData) && !DATA_INPUT_COMMANDS.has(name ?? "")) {
    throw new Refused(
      `<<< {{STEWARD_DATA}} may be given only to ${[...DATA_INPUT_COMMANDS].join("/")}, not to ${
        written ?? "a command without a name"
      }`,
    );
  }
  return name;
}
