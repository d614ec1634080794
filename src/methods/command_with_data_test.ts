import { assert, assertEquals, assertMatch } from "../../test/assert.ts";
import { commandWithData, dataCommandRefusal, planDataCommand } from "./command_with_data.ts";
import { MethodError } from "./types.ts";

/** Runs the command as cli_command does and returns its stdout. */
async function run(argv: string[], data: string, cwd: string): Promise<string> {
  const line = commandWithData(argv, data);
  const out = await new Deno.Command(line.argv[0], {
    args: line.argv.slice(1),
    env: line.env,
    cwd,
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

const HOSTILE = [
  '"; touch pwned; echo "',
  "$(touch pwned)",
  "`touch pwned`",
  "'; touch pwned; echo '",
  "line one\nline two\n",
];

Deno.test("commandWithData() never runs shell syntax found in the data", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const data of HOSTILE) {
      assertEquals(await run(["bash", "-c", 'echo -n "{{STEWARD_DATA}}"'], data, dir), data);
      assertEquals(await run(["bash", "-c", "echo -n '{{STEWARD_DATA}}'"], data, dir), data);
      await run(["bash", "-c", "echo {{STEWARD_DATA}} > /dev/null"], data, dir);
      await run(["sh", "-c", "cat <<< {{STEWARD_DATA}} > /dev/null"], data, dir);
      assertEquals(await Deno.stat(`${dir}/pwned`).catch(() => null), null, data);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("commandWithData() keeps the seed's meaning of each quoting", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Double quotes keep new lines; unquoted, the shell splits words as the seed's note says.
    assertEquals(await run(["bash", "-c", 'echo "{{STEWARD_DATA}}"'], "a\nb", dir), "a\nb\n");
    assertEquals(await run(["bash", "-c", "echo {{STEWARD_DATA}}"], "a\nb", dir), "a b\n");
    assertEquals(await run(["bash", "-c", "echo 'x {{STEWARD_DATA}} y'"], "a", dir), "x a y\n");
    assertEquals(await run(["bash", "-c", 'echo "\\"{{STEWARD_DATA}}\\""'], "a", dir), '"a"\n');
    assertEquals(await run(["echo", "{{STEWARD_DATA}}!"], "$(id)", dir), "$(id)!\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("commandWithData() leaves commands without the placeholder alone", () => {
  assertEquals(commandWithData(["bash", "-c", "echo hi"], "x"), {
    argv: ["bash", "-c", "echo hi"],
    env: {},
  });
  // A bare placeholder is split into words as the seed documents, but never globbed (-f).
  assertEquals(commandWithData(["/bin/sh", "-c", "echo {{STEWARD_DATA}}", "arg0"], "d"), {
    argv: ["/bin/sh", "-f", "-c", "echo ${STEWARD_DATA}", "arg0"],
    env: { STEWARD_DATA: "d" },
  });
});

Deno.test("commandWithData() handles the issue's forms: -ec, -euo pipefail, /usr/bin/env", () => {
  const env = { STEWARD_DATA: "$(touch X)" };
  assertEquals(commandWithData(["bash", "-ec", "echo {{STEWARD_DATA}}"], "$(touch X)"), {
    argv: ["bash", "-f", "-ec", "echo ${STEWARD_DATA}"],
    env,
  });
  assertEquals(
    commandWithData(["bash", "-euo", "pipefail", "-c", 'echo "{{STEWARD_DATA}}"'], "$(touch X)"),
    { argv: ["bash", "-euo", "pipefail", "-c", 'echo "${STEWARD_DATA}"'], env },
  );
  assertEquals(
    commandWithData(["/usr/bin/env", "bash", "-c", "cat <<< {{STEWARD_DATA}}"], "$(touch X)"),
    { argv: ["/usr/bin/env", "bash", "-c", 'cat <<< "${STEWARD_DATA}"'], env },
  );
  assertEquals(commandWithData(["printf", "%s\\n", "{{STEWARD_DATA}}"], "$(id)"), {
    argv: ["printf", "%s\\n", "$(id)"],
    env: {},
  });
});

Deno.test("planDataCommand() refuses every other argv form, naming the allowed ones", () => {
  const forms: [string[], RegExp][] = [
    [["python3", "-c", "print('{{STEWARD_DATA}}')"], /python3 is neither a shell nor echo/],
    [["bash", "{{STEWARD_DATA}}"], /may not be a shell option/],
    [["bash", "script.sh", "{{STEWARD_DATA}}"], /not one of the allowed/],
    [["bash", "-c", 'echo "$1"', "x", "{{STEWARD_DATA}}"], /only in the script, not after/],
    [["bash", "-i", "-c", "echo {{STEWARD_DATA}}"], /"-i" is not one of the allowed/],
    [["bash", "-O", "extglob", "-c", "echo {{STEWARD_DATA}}"], /"-O" is not one/],
    [["bash", "-o", "history", "-c", "echo {{STEWARD_DATA}}"], /-o "history" is not one/],
    [["bash", "-oc", "pipefail", "echo {{STEWARD_DATA}}"], /mixes -o and -c/],
    [["bash", "-c"], /no placeholder/],
    [["bash", "-{{STEWARD_DATA}}", "-c", "x"], /may not be a shell option/],
    [["{{STEWARD_DATA}}"], /may not be the command/],
    [["/tmp/{{STEWARD_DATA}}/echo", "x"], /may not be the command/],
    [["env", "-i", "bash", "-c", "echo {{STEWARD_DATA}}"], /env may only name the command/],
    [["env", "X=1", "bash", "-c", "echo {{STEWARD_DATA}}"], /env may only name the command/],
    [["/usr/bin/env", "{{STEWARD_DATA}}"], /env may only name the command/],
    [["xargs", "echo", "{{STEWARD_DATA}}"], /xargs is neither/],
    [["find", ".", "-exec", "{{STEWARD_DATA}}", ";"], /find is neither/],
    [["awk", "{{STEWARD_DATA}}"], /awk is neither/],
    [["printf", "{{STEWARD_DATA}}"], /may not be an option or the format/],
    [["printf", "%d", "{{STEWARD_DATA}}"], /may convert only with/],
    [["printf", "-v", "{{STEWARD_DATA}}", "x"], /may not name the variable/],
    [["cat", "{{STEWARD_DATA}}"], /cat is neither/],
    [["./echo", "{{STEWARD_DATA}}"], /neither a shell nor echo/],
    [["bash", "-c", "echo $(( {{STEWARD_DATA}} + 1 ))"], /arithmetic/],
  ];
  for (const [argv, why] of forms) {
    const plan = planDataCommand(argv);
    if (plan.kind !== "refused") {
      if (argv.length === 2 && argv[1] === "-c") continue; // No placeholder: nothing to refuse.
      throw new Error(`accepted ${JSON.stringify(argv)}: ${JSON.stringify(plan)}`);
    }
    assertMatch(plan.error, why, JSON.stringify(argv));
    assertMatch(plan.error, /allowed only in these forms|may appear only as an argument/);
    assertEquals(dataCommandRefusal(argv), plan.error);
    try {
      commandWithData(argv, "x");
      throw new Error(`commandWithData ran ${JSON.stringify(argv)}`);
    } catch (err) {
      assert(err instanceof MethodError, String(err));
      assert(err.message.endsWith(plan.error), err.message);
    }
  }
});
