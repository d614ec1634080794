/**
 * Helpers shared by the fault tests: sending many messages, reading what landed, and printing
 * the figures each test measured.
 *
 * @module
 */
import { assert, assertEquals } from "../assert.ts";
import { type Agent, readOr } from "../harness.ts";

/** Test options for suites that start real processes and leave sockets to the harness. */
export const OPTS = { sanitizeOps: false, sanitizeResources: false };

/**
 * Sends `n` pings from `agent` to `toNode` in arrays of `batch`, asserts that every one was
 * accepted, and returns their ids in the order the agent accepted them.
 */
export async function sendPings(
  agent: Agent,
  toNode: string,
  n: number,
  fields: Record<string, unknown> = {},
  batch = 100,
): Promise<string[]> {
  const ids: string[] = [];
  for (let sent = 0; sent < n; sent += batch) {
    const count = Math.min(batch, n - sent);
    const messages = Array.from({ length: count }, () => ({
      toNode,
      method: "REQPing",
      ...fields,
    }));
    const answers = await agent.send(messages);
    assertEquals(answers.length, count, "one answer per message");
    for (const a of answers) {
      assert(a.status === "accepted" && a.id, `not accepted: ${JSON.stringify(a)}`);
      ids.push(a.id);
    }
  }
  return ids;
}

/** Counts how often each value occurs. */
export function tally(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/**
 * Compares what landed with what was sent: how many were lost (sent, never landed), landed
 * twice or more, and landed without having been sent.
 */
export function compare(
  sent: readonly string[],
  landed: readonly string[],
): { sent: number; landed: number; lost: string[]; twice: string[]; unexpected: string[] } {
  const counts = tally(landed);
  const sentSet = new Set(sent);
  return {
    sent: sent.length,
    landed: counts.size,
    lost: sent.filter((id) => !counts.has(id)),
    twice: [...counts].filter(([, c]) => c > 1).map(([id]) => id),
    unexpected: [...counts.keys()].filter((id) => !sentSet.has(id)),
  };
}

/** The lines of the error log `agent` (central) keeps for `node` that mention `text`. */
export async function errorLines(agent: Agent, node: string, text = ""): Promise<string[]> {
  return (await agent.errorLog(node)).split("\n").filter((l) => l !== "" && l.includes(text));
}

/**
 * The audit log lines of `agent`, parsed; a line a kill -9 tore in the middle of its write (the
 * agent ends it at its next start) is left out.
 */
export async function auditLog(
  agent: Agent,
): Promise<{ event: string; subject: string; detail?: string; message: { id: string } }[]> {
  const text = await readOr(`${agent.dir}/var/audit.log`);
  return text.split("\n").filter((l) => l !== "").flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch {
      return [];
    }
  });
}

/** Prints one figure line, so the suite's output carries what each test measured. */
export function figure(test: string, values: Record<string, unknown>): void {
  console.log(`FIGURES ${test}: ${JSON.stringify(values)}`);
}

/**
 * Everything the agents' audit and error logs say about `ids` (the first few), to explain a
 * failure before the fleet's folders are removed.
 */
export async function explain(ids: readonly string[], agents: readonly Agent[]): Promise<string> {
  const out: string[] = [];
  for (const id of ids.slice(0, 3)) {
    for (const a of agents) {
      const audit = (await readOr(`${a.dir}/var/audit.log`)).split("\n").filter((l) =>
        l.includes(id)
      );
      for (const l of audit) out.push(`${a.name} audit: ${l.slice(0, 240)}`);
      for (const l of a.output.split("\n").filter((l) => l.includes(id))) {
        out.push(`${a.name} output: ${l.slice(0, 240)}`);
      }
    }
  }
  return out.join("\n");
}
