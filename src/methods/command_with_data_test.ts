import { assertEquals } from "../../test/assert.ts";
import { commandWithData } from "./command_with_data.ts";

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
  assertEquals(commandWithData(["/bin/sh", "-c", "echo {{STEWARD_DATA}}", "arg0"], "d"), {
    argv: ["/bin/sh", "-c", "echo ${STEWARD_DATA}", "arg0"],
    env: { STEWARD_DATA: "d" },
  });
});
