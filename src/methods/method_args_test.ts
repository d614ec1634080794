import { assertEquals } from "../../test/assert.ts";
import { missingArgs, resolvePathArgs } from "./method_args.ts";
import { methodNamed } from "./registry.ts";

Deno.test("missingArgs() names the field and what is missing when methodArgs is absent", () => {
  const cli = methodNamed("REQCliCommand")!;
  assertEquals(
    missingArgs(cli.name, cli.methodArgs, [], "methodArgs"),
    "methodArgs: REQCliCommand needs methodArgs[0] (the command to run); got none",
  );
  assertEquals(missingArgs(cli.name, cli.methodArgs, ["tree"], "methodArgs"), undefined);
});

Deno.test("missingArgs() counts an empty string as missing", () => {
  const tail = methodNamed("REQTailFile")!;
  assertEquals(
    missingArgs(tail.name, tail.methodArgs, [""], "methodArgs"),
    'methodArgs: REQTailFile needs methodArgs[0] (the file to tail); got [""]',
  );
});

Deno.test("missingArgs() checks nothing for a method that declares no arguments", () => {
  const ping = methodNamed("REQPing")!;
  assertEquals(missingArgs(ping.name, ping.methodArgs, [], "methodArgs"), undefined);
});

Deno.test("the method table declares what the methods with arguments need", () => {
  for (const name of ["REQCliCommand", "REQCliCommandCont", "REQTailFile", "REQHttpGet"]) {
    assertEquals(methodNamed(name)?.methodArgs?.required.length, 1, name);
  }
  assertEquals(methodNamed("REQTailFile")?.methodArgs?.paths, [0]);
});

Deno.test("resolvePathArgs() makes the seed's ./test.log absolute in the working folder", async () => {
  const spec = methodNamed("REQTailFile")!.methodArgs;
  const same = (p: string) => Promise.resolve(p);
  assertEquals(await resolvePathArgs(spec, ["./test.log"], "/srv/ship2", same), [
    "/srv/ship2/test.log",
  ]);
  assertEquals(await resolvePathArgs(spec, ["test.log"], "/srv/ship2", same), [
    "/srv/ship2/test.log",
  ]);
  assertEquals(await resolvePathArgs(spec, ["../../etc/passwd"], "/srv/ship2", same), [
    "/etc/passwd",
  ]);
  assertEquals(await resolvePathArgs(spec, ["/var/log/../x"], "/srv", same), ["/var/x"]);
  assertEquals(await resolvePathArgs(spec, [], "/srv", same), []);
});

Deno.test("resolvePathArgs() leaves arguments that are not declared paths as they are", async () => {
  const cli = methodNamed("REQCliCommand")!.methodArgs;
  assertEquals(await resolvePathArgs(cli, ["./run.sh", "../x"], "/srv"), ["./run.sh", "../x"]);
});

Deno.test("resolvePathArgs() resolves symbolic links to the file they lead to", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.mkdir(`${dir}/logs`);
    await Deno.writeTextFile(`${dir}/secret.txt`, "x");
    await Deno.symlink(`${dir}/secret.txt`, `${dir}/logs/app.log`);
    const spec = methodNamed("REQTailFile")!.methodArgs;
    assertEquals(await resolvePathArgs(spec, ["./logs/app.log"], dir), [`${dir}/secret.txt`]);
    // A file that does not exist (yet) keeps its lexical path.
    assertEquals(await resolvePathArgs(spec, ["logs/none.log"], dir), [`${dir}/logs/none.log`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
