/**
 * The operator's way in: a JSON array written into an agent's unix socket, as `nc -U` does.
 *
 * @module
 */

/** Answers of an agent's input, one per message. */
export interface SocketAnswer {
  status: "accepted" | "rejected";
  id?: string;
  error?: string;
}

/**
 * Writes `payload` into the unix socket at `path`, half-closes, and resolves with the answer
 * lines once the agent closes. `onFirstByte` runs right before the first byte is written.
 *
 * @example
 * ```ts ignore
 * import { writeToSocket } from "./socket_client.ts";
 * const answers = await writeToSocket("./tmp/steward.sock", '[{"toNode":"ship1","method":"REQPing"}]');
 * ```
 */
export async function writeToSocket(
  path: string,
  payload: string,
  onFirstByte: () => void = () => {},
): Promise<SocketAnswer[]> {
  const conn = await Deno.connect({ transport: "unix", path });
  const bytes = new TextEncoder().encode(payload);
  // Read while writing: the agent answers as it goes and must not block on a full socket.
  const reading = new Response(conn.readable).text();
  onFirstByte();
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  await conn.closeWrite();
  const text = await reading;
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

/**
 * `count` `REQPing` messages to `toNode` as one JSON array, with extra fields on each.
 *
 * @example
 * ```ts
 * import { pingArray } from "./socket_client.ts";
 * console.assert(JSON.parse(pingArray("ship1", 2)).length === 2);
 * ```
 */
export function pingArray(toNode: string, count: number, extra: Record<string, unknown> = {}) {
  return JSON.stringify(
    Array.from({ length: count }, () => ({ toNode, method: "REQPing", ...extra })),
  );
}
