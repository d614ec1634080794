import { assertEquals, assertMatch, assertRejects } from "../test/assert.ts";
import {
  ConfigError,
  defaultConfig,
  FLAGS,
  helpText,
  loadConfig,
  parseFlags,
  validateConfig,
} from "./config.ts";

Deno.test("parseFlags() reads --flag=value, --flag value, -flag=value and lone bools", () => {
  const { values, help } = parseFlags([
    "--nodeName=ship1",
    "--brokerAddress",
    "nats://10.0.0.1:4222",
    "-defaultMessageTimeout=7",
    "-startSubREQHttpGet=false",
    "--startSubREQTailFile",
  ]);
  assertEquals(help, false);
  assertEquals(values, {
    nodeName: "ship1",
    brokerAddress: "nats://10.0.0.1:4222",
    defaultMessageTimeout: 7,
    startSubREQHttpGet: false,
    startSubREQTailFile: true,
  });
});

Deno.test("parseFlags() throws ConfigError on unknown flags, bad values and missing values", async () => {
  await assertRejects(() => parseFlags(["--nope=1"]), /unknown flag -nope/);
  await assertRejects(() => parseFlags(["-retries=3"]), /unknown flag -retries/);
  await assertRejects(() => parseFlags(["-defaultMessageRetries=three"]), /not a whole number/);
  await assertRejects(() => parseFlags(["-startSubREQPing=maybe"]), /not true or false/);
  await assertRejects(() => parseFlags(["-nodeName"]), /needs a value/);
  await assertRejects(() => parseFlags(["stray"]), /unexpected argument/);
  const err = await assertRejects(() => parseFlags(["--x"]));
  assertEquals(err instanceof ConfigError, true);
});

Deno.test("helpText() lists every flag with its default", () => {
  const text = helpText();
  for (const name of Object.keys(FLAGS)) assertMatch(text, new RegExp(`-${name}\\b`));
  assertMatch(text, /default "127.0.0.1:4222"/);
});

Deno.test("loadConfig() creates the file, lets flags override it and reuses it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await loadConfig(dir, { nodeName: "ship1", defaultMessageRetries: 9 });
    assertEquals(first.defaultMessageRetries, 9);
    assertEquals(first.brokerAddress, defaultConfig().brokerAddress);
    const again = await loadConfig(dir, {});
    assertEquals(again, first);
    const edited = {
      ...JSON.parse(await Deno.readTextFile(`${dir}/config.json`)),
      startPubREQHello: 77,
    };
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(edited));
    assertEquals((await loadConfig(dir, {})).startPubREQHello, 77);
    assertEquals((await loadConfig(dir, { startPubREQHello: 5 })).startPubREQHello, 5);
    assertEquals((await loadConfig(dir, {})).startPubREQHello, 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig() rejects a broken file and bad node names clearly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => loadConfig(dir, {}), /-nodeName is required/);
    await assertRejects(() => loadConfig(dir, { nodeName: "ship.1" }), /-nodeName "ship.1"/);
    await Deno.writeTextFile(`${dir}/config.json`, "{ not json");
    await assertRejects(() => loadConfig(dir, { nodeName: "a" }), /not valid JSON/);
    await Deno.writeTextFile(`${dir}/config.json`, '{"nodeName":"a","retriez":1}');
    await assertRejects(() => loadConfig(dir, {}), /unknown setting "retriez"/);
    await Deno.writeTextFile(`${dir}/config.json`, '{"nodeName":"a","defaultMessageRetries":"3"}');
    await assertRejects(() => loadConfig(dir, {}), /"defaultMessageRetries" must be a number/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("validateConfig() refuses a replay window the dedup store cannot cover", () => {
  const base = { nodeName: "ship1", requireSignatures: true, dedupRetentionSeconds: 100 };
  validateConfig(defaultConfig({ ...base, replayWindow: 50 }));
  let message = "";
  try {
    validateConfig(defaultConfig({ ...base, replayWindow: 51 }));
  } catch (err) {
    message = (err as Error).message;
  }
  assertEquals(
    message,
    "-replayWindow 51: must be at least 1 and at most half of -dedupRetentionSeconds (100)",
  );
});

Deno.test("validateConfig() refuses NATS's reserved names for -nodeName and -centralNodeName", () => {
  for (const name of ["_INBOX", "$SYS", "_x"]) {
    for (const flag of ["nodeName", "centralNodeName"] as const) {
      const config = defaultConfig({ nodeName: "ship1", [flag]: name });
      try {
        validateConfig(config);
        throw new Error(`-${flag}=${name} was accepted`);
      } catch (err) {
        assertMatch((err as Error).message, new RegExp(`^-${flag} "\\${name}": reserved`));
      }
    }
  }
});

Deno.test("validateConfig() checks the form of -commandEnv and -runAsUser", async () => {
  const base = { nodeName: "ship1" };
  for (const ok of ["", "TZ", "TZ, http_proxy,", "_X1"]) {
    validateConfig(defaultConfig({ ...base, commandEnv: ok }));
  }
  for (const ok of ["", "nobody", "steward-run", "990", "990:985", "svc$"]) {
    validateConfig(defaultConfig({ ...base, runAsUser: ok }));
  }
  const refusals: [Partial<Parameters<typeof defaultConfig>[0]>, RegExp][] = [
    [{ commandEnv: "TZ,1BAD" }, /^-commandEnv: "1BAD" is not a variable name$/],
    [{ commandEnv: "LD_PRELOAD" }, /^-commandEnv: LD_PRELOAD may not be passed to commands$/],
    [{ runAsUser: "no body" }, /^-runAsUser "no body": expected a user name, a uid or uid:gid$/],
    [{ runAsUser: "990:" }, /expected a user name, a uid or uid:gid/],
  ];
  for (const [values, pattern] of refusals) {
    const err = await assertRejects(
      () => validateConfig(defaultConfig({ ...base, ...values })),
      pattern,
    );
    assertEquals(err instanceof ConfigError, true);
  }
});

Deno.test("loadConfig() reads the config file's keys in any letter case", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/config.json`,
      '{"NodeName":"ship1","CentralNodeName":"hub","STARTPUBREQHELLO":30}',
    );
    const config = await loadConfig(dir, {});
    assertEquals([config.nodeName, config.centralNodeName, config.startPubREQHello], [
      "ship1",
      "hub",
      30,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig() refuses two spellings of one key, and prototype names, by name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string, RegExp][] = [
      ['{"nodeName":"a","NodeName":"b"}', /ambiguous fields: "nodeName" and "NodeName"/],
      ['{"nodeName":"a","constructor":"x"}', /unknown setting "constructor"/],
      ['{"nodeName":"a","toString":"x"}', /unknown setting "toString"/],
      ['{"nodeName":"a","__proto__":"x"}', /unknown setting "__proto__"/],
    ];
    for (const [text, pattern] of cases) {
      await Deno.writeTextFile(`${dir}/config.json`, text);
      await assertRejects(() => loadConfig(dir, {}), pattern);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
