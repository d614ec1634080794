/**
 * Wrong uses of the playbook API. Every line marked `@ts-expect-error` must be a type error:
 * `deno check` fails on a marker whose line type-checks, so this file passing `deno check`
 * proves each wrong call is caught (see `wrong_calls_test.ts`). Never run.
 *
 * @module
 */
import {
  chainCli,
  type Client,
  connect,
  playbook,
  to,
  toConsole,
  toFile,
  toFileAppend,
  toNodes,
} from "../../../mod.ts";

export async function wrongCalls(steward: Client): Promise<void> {
  // @ts-expect-error a node name is a string
  to(1);
  // @ts-expect-error toNodes takes an array of names
  toNodes("ship1");
  // @ts-expect-error a command is a string or an argv array of strings
  to("ship1").cli(42);
  // @ts-expect-error argv elements are strings
  to("ship1").cli(["sleep", 5]);
  // @ts-expect-error tail takes the path of one file
  to("ship1").tail(["/var/log/a", "/var/log/b"]);
  // @ts-expect-error ping takes no argument
  to("ship1").ping("now");
  // @ts-expect-error startProcess takes a known method name
  to("ship1").startProcess("REQDoesNotExist");
  // @ts-expect-error stopProcess needs the process id
  to("ship1").stopProcess({ method: "REQHttpGet" });
  // @ts-expect-error opCommand's opCmd is ps, startProc or stopProc
  to("ship1").opCommand({ opCmd: "reboot" });
  // @ts-expect-error timeouts are numbers of seconds
  to("ship1").cli("x").timeout({ ack: "5" });
  // @ts-expect-error no such timeout option (the seed's names are not the builder's)
  to("ship1").cli("x").timeout({ ACKTimeout: 5 });
  // @ts-expect-error .for() is only for streaming methods (cliCont, tail)
  to("ship1").cli("x").for(10);
  // @ts-expect-error .for() takes seconds as a number
  to("ship1").tail("/x").for("1m");
  // @ts-expect-error reply takes a reply target, not a method name
  to("ship1").cli("x").reply("REQToFile");
  // @ts-expect-error toFile takes a path
  toFile();
  // @ts-expect-error toFileAppend takes one path string
  toFileAppend(["logs", "x.log"]);
  // @ts-expect-error toConsole takes no argument
  toConsole("stdout");
  // @ts-expect-error chainCli's timeout is a number
  chainCli("echo {{STEWARD_DATA}}", { timeout: "10" });
  // @ts-expect-error stream() is only for streaming requests
  steward.stream(to("ship1").cli("x"));
  // @ts-expect-error run() takes a request or a seed message, not a string
  await steward.run("REQPing ship1");
  // @ts-expect-error a seed message needs its method
  await steward.send({ toNode: "ship1" });
  // @ts-expect-error send() takes messages, not a list of them
  await steward.send([to("ship1").ping()]);
  // @ts-expect-error connect takes one of socket, tcp or http
  await connect({ unix: "./tmp/steward.sock" });
  // @ts-expect-error a playbook needs its run function
  playbook({ name: "x", schedule: "* * * * *" });
  // @ts-expect-error results are read-only
  (await steward.run(to("ship1").ping()))[0].ok = true;
}
