import { endedByTimeout } from "./ended_by_timeout.ts";
import { LineBatcher } from "./line_batcher.ts";
import { LineSplitter } from "./line_splitter.ts";
import { runCommand } from "./run_command.ts";
import { commandWithData } from "./command_with_data.ts";
import { MethodError, type MethodImpl } from "./types.ts";

/**
 * `REQCliCommandCont` (seed spelling `REQnCliCommandCont`): runs a command and sends its output
 * back line by line while it runs, until it ends or `methodTimeout` stops it and its whole
 * process group. Reaching `methodTimeout` is the normal end, not an error. Its output is
 * spooled like `REQCliCommand`'s: each batch of lines is sent with the byte of the output it
 * ends at, so that after a restart of the agent the command is followed on from there.
 */
export const cliCommandCont: MethodImpl<"REQCliCommandCont"> = {
  name: "REQCliCommandCont",
  async handler({ node, message, signal, emit, resumed, resumeFrom }) {
    const { argv, env } = commandWithData(message.methodArgs, message.data);
    const output = new LineSplitter(resumeFrom ?? 0);
    const spool = node.commandSpawn.spool;
    const lines = new LineBatcher(async (text, mark) => {
      if (mark === undefined) return await emit(text);
      await emit(text, { resumeAt: mark });
      // Sent, and committed as sent: the spool need not keep those bytes.
      spool?.release(message.id, mark, node.config.maxMessageSize);
    });
    let code: number;
    let stderr: string;
    try {
      const out = await runCommand(argv, {
        signal,
        spawn: node.commandSpawn,
        env,
        maxOutputBytes: Number.MAX_SAFE_INTEGER, // Streamed, never held: no limit needed.
        onOutput: (chunk) => {
          const whole = output.take(chunk);
          return whole ? lines.push(whole.text, whole.end) : undefined;
        },
        spoolId: message.id,
        resumed,
        ...(resumeFrom !== undefined ? { resumeFrom } : {}),
      });
      code = out.code;
      stderr = out.stderr.trim();
    } catch (err) {
      await lines.push(output.rest());
      await lines.close(output.end);
      if (endedByTimeout(signal)) return { data: "" };
      throw err;
    }
    await lines.push(output.rest());
    await lines.close(output.end);
    if (code !== 0) {
      throw new MethodError(`${argv[0]} exited with code ${code}${stderr ? `: ${stderr}` : ""}`);
    }
    return { data: "" };
  },
};
