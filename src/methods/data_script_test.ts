import { assert, assertEquals, assertMatch } from "../../test/assert.ts";
import { analyseDataScript } from "./data_script.ts";

function refused(script: string): string {
  const out = analyseDataScript(script);
  assert("error" in out, `accepted: ${JSON.stringify(script)} as ${JSON.stringify(out)}`);
  return out.error;
}

Deno.test("analyseDataScript() refuses every place where the shell evaluates the data again", () => {
  const hostile: [string, RegExp][] = [
    ["echo $(( {{STEWARD_DATA}} + 1 ))", /arithmetic/],
    ["echo $[ {{STEWARD_DATA}} + 1 ]", /arithmetic/],
    ["(( x = {{STEWARD_DATA}} ))", /subshells/],
    ["let x={{STEWARD_DATA}}", /argument only of echo\/printf, not of let/],
    ["let 'x={{STEWARD_DATA}}'", /not of let/],
    ["declare -i x={{STEWARD_DATA}}", /not of declare/],
    ["typeset -i x={{STEWARD_DATA}}", /not of typeset/],
    ["local x={{STEWARD_DATA}}", /not of local/],
    ["export x={{STEWARD_DATA}}", /not of export/],
    ["readonly x={{STEWARD_DATA}}", /not of readonly/],
    ["x={{STEWARD_DATA}}; eval $x", /may not be assigned/],
    ["x={{STEWARD_DATA}} echo hi", /may not be assigned/],
    ["[[ {{STEWARD_DATA}} -eq 1 ]]", /keywords/],
    ["[ {{STEWARD_DATA}} -eq 1 ]", /not of \[/],
    ["test -v {{STEWARD_DATA}}", /not of test/],
    ["eval echo {{STEWARD_DATA}}", /"eval" is not allowed/],
    ["eval 'echo {{STEWARD_DATA}}'", /"eval" is not allowed/],
    ["source {{STEWARD_DATA}}", /"source" is not allowed/],
    [". {{STEWARD_DATA}}", /"\." is not allowed/],
    ["exec {{STEWARD_DATA}}", /"exec" is not allowed/],
    ["command echo {{STEWARD_DATA}}", /"command" is not allowed/],
    ["builtin echo {{STEWARD_DATA}}", /"builtin" is not allowed/],
    ["trap {{STEWARD_DATA}} EXIT", /"trap" is not allowed/],
    ["alias echo=eval; echo {{STEWARD_DATA}}", /"alias" is not allowed/],
    ["enable -n echo; echo {{STEWARD_DATA}}", /"enable" is not allowed/],
    ["hash -p /bin/sh echo; echo {{STEWARD_DATA}}", /"hash" is not allowed/],
    ["shopt -s expand_aliases; echo {{STEWARD_DATA}}", /"shopt" is not allowed/],
    ["sh -c {{STEWARD_DATA}}", /not of sh/],
    ["bash -c 'echo {{STEWARD_DATA}}'", /not of bash/],
    ["/bin/bash -c {{STEWARD_DATA}}", /not of \/bin\/bash/],
    ["python3 -c {{STEWARD_DATA}}", /not of python3/],
    ["perl -e {{STEWARD_DATA}}", /not of perl/],
    ["awk {{STEWARD_DATA}}", /not of awk/],
    ["awk '{print}' <<< {{STEWARD_DATA}}", /<<< {{STEWARD_DATA}} may be given only to/],
    ["xargs echo <<< {{STEWARD_DATA}}", /not to xargs/],
    ["env {{STEWARD_DATA}}", /not of env/],
    ["find . -exec {{STEWARD_DATA}} ;", /not of find/],
    ["sed {{STEWARD_DATA}} f", /not of sed/],
    ["{{STEWARD_DATA}}", /may not be a command name/],
    ["{{STEWARD_DATA}} arg", /may not be a command name/],
    ["echo hi; {{STEWARD_DATA}}", /may not be a command name/],
    ["'{{STEWARD_DATA}}'", /may not be a command name/],
    ["echo `echo {{STEWARD_DATA}}`", /backticks/],
    ['echo "`echo {{STEWARD_DATA}}`"', /backticks/],
    ["echo $(echo {{STEWARD_DATA}})", /command substitution/],
    ['echo "$(echo {{STEWARD_DATA}})"', /command substitution/],
    ["echo ${x:-{{STEWARD_DATA}}}", /only \$\{NAME\}/],
    ["echo ${a[{{STEWARD_DATA}}]}", /only \$\{NAME\}/],
    ["echo hi > {{STEWARD_DATA}}", /redirect/],
    ['echo hi >> "{{STEWARD_DATA}}"', /redirect/],
    ["cat < {{STEWARD_DATA}}", /redirect/],
    ["echo hi 2>{{STEWARD_DATA}}", /redirect/],
    ["echo hi >&{{STEWARD_DATA}}", /redirect/],
    ["cat <<EOF\n{{STEWARD_DATA}}\nEOF", /here-documents/],
    ["cat <(echo {{STEWARD_DATA}})", /process substitution/],
    ["echo {{STEWARD_DATA}} | bash", /piped only into .*not into bash/],
    ["echo {{STEWARD_DATA}} | sh -s", /not into sh/],
    ["printf '%s' {{STEWARD_DATA}} |& bash", /not into bash/],
    ["cat <<< {{STEWARD_DATA}} | tee x | sh", /not into sh/],
    ["echo {{STEWARD_DATA}} | sort --compress-program=sh", /not into sort/],
    ["bash <<< {{STEWARD_DATA}}", /not to bash/],
    ["printf {{STEWARD_DATA}}", /format/],
    ["printf -v {{STEWARD_DATA}} x", /may not name the variable/],
    ["printf -v x {{STEWARD_DATA}}", /format/],
    ["printf '%d' {{STEWARD_DATA}}", /may convert only with/],
    ["printf '%*s' {{STEWARD_DATA}} x", /may convert only with/],
    ['printf "$fmt" {{STEWARD_DATA}}', /format must be a literal/],
    ["$cmd {{STEWARD_DATA}}", /command name must be a literal/],
    ["if true; then echo {{STEWARD_DATA}}; fi", /keywords/],
    ["for x in 1; do echo {{STEWARD_DATA}}; done", /keywords/],
    ["case {{STEWARD_DATA}} in x) ;; esac", /subshells|keywords|case/],
    ["f() { echo {{STEWARD_DATA}}; }; f", /subshells/],
    ["{ echo {{STEWARD_DATA}}; }", /braces/],
    ["echo {a,{{STEWARD_DATA}}}", /braces/],
    ["(echo {{STEWARD_DATA}})", /subshells/],
    ["! echo {{STEWARD_DATA}}", /keywords/],
    ["time echo {{STEWARD_DATA}}", /keywords/],
    ['echo {{STEWARD_DATA}}; eval "$STEWARD_DATA"', /only as {{STEWARD_DATA}}/],
    ["echo {{STEWARD_DATA}}; echo ${STEWARD_DATA}", /only as {{STEWARD_DATA}}/],
    ["echo $'{{STEWARD_DATA}}'", /\$'…'/],
    ["echo 'unclosed {{STEWARD_DATA}}", /not closed/],
    ['echo "unclosed {{STEWARD_DATA}}', /not closed/],
    ["echo {{STEWARD_DATA}} \\", /ends with a backslash/],
    ["echo {{STEWARD_DATA}} > *.txt", /globs of its own/],
    ["ls *; echo {{STEWARD_DATA}}", /globs of its own/],
    ["set +f; echo {{STEWARD_DATA}}", /set may not turn shell options off/],
    ["echo {{STEWARD_DATA}} >", /has no file/],
  ];
  for (const [script, why] of hostile) {
    const error = refused(script);
    assertMatch(error, why, script);
    assertMatch(error, /may appear only as an argument of echo/, script);
  }
});

Deno.test("analyseDataScript() rewrites the placeholder as the variable, by quoting context", () => {
  const ok: [string, string, boolean][] = [
    ['echo "{{STEWARD_DATA}}" > apekatt.txt', 'echo "${STEWARD_DATA}" > apekatt.txt', false],
    ["cat <<< {{STEWARD_DATA}} > hest.txt", 'cat <<< "${STEWARD_DATA}" > hest.txt', false],
    ["echo {{STEWARD_DATA}}", "echo ${STEWARD_DATA}", true],
    ["echo 'x {{STEWARD_DATA}} y'", `echo 'x '"\${STEWARD_DATA}"' y'`, false],
    ['echo \\"{{STEWARD_DATA}}\\"', 'echo \\"${STEWARD_DATA}\\"', true],
    ["printf '%s\\n' \"{{STEWARD_DATA}}\" | grep -v x | wc -l", "", false],
    ["printf -- '%-10s|%b' a \"{{STEWARD_DATA}}\"", "", false],
    ['set -e; mkdir -p out && echo "{{STEWARD_DATA}}" >> out/x.txt 2>&1', "", false],
    ["sleep 30; echo {{STEWARD_DATA}} > never.txt", "", true],
    ['/bin/echo "$HOME: {{STEWARD_DATA}}" &', "", false],
    ['echo "{{STEWARD_DATA}}" # {{STEWARD_DATA}} in a comment', "", false],
    ["cat <<<{{STEWARD_DATA}} | tee copy.txt | sha256sum > sum.txt", "", false],
    ["echo {{STEWARD_DATA}} \\\n  > out.txt", "", true],
    ['LC_ALL=C echo "{{STEWARD_DATA}}"', "", false],
  ];
  for (const [script, want, noglob] of ok) {
    const out = analyseDataScript(script);
    assert(!("error" in out), `${script}: ${"error" in out ? out.error : ""}`);
    if (want) assertEquals(out.script, want, script);
    assertEquals(out.noglob, noglob, script);
  }
});

/** The data an attacker's node prints, each trying to run `touch pwned`. */
const HOSTILE_DATA = [
  "$(touch pwned)",
  "`touch pwned`",
  '"; touch pwned; echo "',
  "'; touch pwned; echo '",
  "a[$(touch pwned)]",
  "x\ntouch pwned\n",
  "$((a[$(touch pwned)]))",
  "${x:-$(touch pwned)}",
  "*",
  "/*",
  "-e \\x41 $(touch pwned)",
  "\\",
];

Deno.test("analyseDataScript(): the accepted scripts print hostile data, run nothing", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file.txt`, "");
  try {
    const scripts: [string, (d: string) => string][] = [
      ['echo -n "{{STEWARD_DATA}}"', (d) => d],
      ["printf '%s' '{{STEWARD_DATA}}'", (d) => d],
      ["cat <<< {{STEWARD_DATA}}", (d) => d + "\n"],
      ["printf '%s|' {{STEWARD_DATA}}", () => ""], // Split into words: checked for no globbing.
      ['echo "{{STEWARD_DATA}}" | cat | head -c 1000', (d) => d + "\n"],
    ];
    for (const shell of ["bash", "sh", "dash"]) {
      for (const [script, expected] of scripts) {
        if (shell !== "bash" && script.includes("<<<")) continue; // dash has no here-strings.
        const out = analyseDataScript(script);
        assert(!("error" in out), script);
        for (const data of HOSTILE_DATA) {
          const args = [...(out.noglob ? ["-f"] : []), "-c", out.script];
          const run = await new Deno.Command(shell, {
            args,
            cwd: dir,
            env: { STEWARD_DATA: data },
            stdout: "piped",
            stderr: "piped",
          }).output();
          const text = new TextDecoder().decode(run.stdout);
          if (script.includes("'%s|'")) {
            assert(!text.includes("file.txt"), `${shell} ${script} globbed ${data}: ${text}`);
          } else if (shell === "bash") {
            // Other shells' echo reads backslash escapes in its arguments: text, still not code.
            assertEquals(text, expected(data), `${shell} ${script}`);
          }
          assertEquals(
            await Deno.stat(`${dir}/pwned`).catch(() => null),
            null,
            `${shell} ran ${JSON.stringify(data)} in ${script}`,
          );
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
