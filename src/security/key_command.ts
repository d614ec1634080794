import { join } from "node:path";

/** The one-shot operator commands of the agent binary that act on central's key registry. */
export const KEY_COMMANDS = { approveKey: "REQKeyApprove", revokeKey: "REQKeyRevoke" } as const;

/** Splits `-approveKey=<node>` / `-revokeKey <node>` out of `args`, if one is there. */
export function takeKeyCommand(
  args: readonly string[],
): { method: string; node: string; rest: string[] } | undefined {
  for (let i = 0; i < args.length; i++) {
    const m = /^--?(approveKey|revokeKey)(?:=(.*))?$/.exec(args[i]);
    if (!m) continue;
    const node = m[2] ?? args[i + 1] ?? "";
    const rest = args.filter((_, j) => j !== i && (m[2] !== undefined || j !== i + 1));
    return { method: KEY_COMMANDS[m[1] as keyof typeof KEY_COMMANDS], node, rest };
  }
  return undefined;
}

/**
 * Asks the running central agent, through its unix socket, to approve or revoke `node`'s key.
 * Resolves with the agent's answer line; the outcome lands in `<data>/keys/<central>/keys.log`.
 *
 * @example
 * ```ts ignore
 * import { sendKeyCommand } from "./key_command.ts";
 * await sendKeyCommand("./tmp", "central", "REQKeyApprove", "ship1");
 * ```
 */
export async function sendKeyCommand(
  socketFolder: string,
  central: string,
  method: string,
  node: string,
): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path: join(socketFolder, "steward.sock") });
  const message = {
    toNode: central,
    method,
    methodArgs: [node],
    directory: "keys",
    fileName: "keys.log",
  };
  const reading = new Response(conn.readable).text();
  await conn.write(new TextEncoder().encode(JSON.stringify(message)));
  await conn.closeWrite();
  return (await reading).trim();
}
