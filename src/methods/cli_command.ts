import { runCommand } from "./run_command.ts";
import { MethodError, type MethodImpl } from "./types.ts";
import { commandWithData } from "./command_with_data.ts";

/** `REQCliCommand`: runs a command and replies with its standard output when it ends. */
export const cliCommand: MethodImpl<"REQCliCommand"> = {
  name: "REQCliCommand",
  async handler({ node, message, signal, resumed }) {
    // The data (a chained reply's input) reaches a shell script as a variable, never as code.
    const { argv, env } = commandWithData(message.methodArgs, message.data);
    const out = await runCommand(argv, {
      signal,
      spawn: node.commandSpawn,
      env,
      maxOutputBytes: node.config.maxMessageSize,
      spoolId: message.id,
      resumed,
    });
    if (out.code !== 0) {
      const stderr = out.stderr.trim();
      throw new MethodError(
        `${argv[0]} exited with code ${out.code}${stderr ? `: ${stderr}` : ""}`,
        { cause: { stdout: out.stdout } },
      );
    }
    return { data: out.stdout };
  },
};
