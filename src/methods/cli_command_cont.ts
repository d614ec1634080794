import { endedByTimeout } from "./ended_by_timeout.ts";
import { LineBatcher } from "./line_batcher.ts";
import { runCommand } from "./run_command.ts";
import { commandWithData } from "./command_with_data.ts";
import { type MethodDefinition, MethodError } from "./types.ts";

/**
 * `REQCliCommandCont` (seed spelling `REQnCliCommandCont`): runs a command and sends its output
 * back line by line while it runs, until it ends or `methodTimeout` stops it and its whole
 * process group. Reaching `methodTimeout` is the normal end, not an error.
 */
export const cliCommandCont: MethodDefinition = {
  name: "REQCliCommandCont",
  event: "CommandACK",
  pooled: true,
  defaultReplyMethod: "REQToFileAppend",
  flag: "startSubREQCliCommandCont",
  description: "run a command (methodArgs) and reply with each line of output as it comes, " +
    "until it ends or methodTimeout",
  async handler({ node, message, signal, emit }) {
    const { argv, env } = commandWithData(message.methodArgs, message.data);
    const decoder = new TextDecoder();
    const lines = new LineBatcher(emit);
    let code: number;
    let stderr: string;
    try {
      const out = await runCommand(argv, {
        signal,
        spawn: node.commandSpawn,
        env,
        maxOutputBytes: Number.MAX_SAFE_INTEGER, // Streamed, never held: no limit needed.
        onOutput: (chunk) => lines.push(decoder.decode(chunk, { stream: true })),
      });
      code = out.code;
      stderr = out.stderr.trim();
    } catch (err) {
      await lines.push(decoder.decode());
      await lines.close();
      if (endedByTimeout(signal)) return { data: "" };
      throw err;
    }
    await lines.push(decoder.decode());
    await lines.close();
    if (code !== 0) {
      throw new MethodError(`${argv[0]} exited with code ${code}${stderr ? `: ${stderr}` : ""}`);
    }
    return { data: "" };
  },
};
