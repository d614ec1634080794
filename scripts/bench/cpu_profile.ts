/**
 * Summarizes a V8 `.cpuprofile` (as `deno run --cpu-prof` writes it): self time per function
 * and per source file, the way to see where an agent's CPU goes.
 *
 * @module
 */

/** The parts of a V8 CPU profile that the summary reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one entry, in milliseconds, and its share of all samples. */
export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/**
 * Self time grouped by `key` (by default `function (file:line)`), highest first.
 *
 * @example
 * ```ts
 * import { selfTimes } from "./cpu_profile.ts";
 * const profile = {
 *   nodes: [{ id: 1, callFrame: { functionName: "f", url: "file:///a.ts", lineNumber: 0 } }],
 *   samples: [1, 1],
 *   timeDeltas: [500, 500],
 * };
 * console.assert(selfTimes(profile)[0].ms === 1);
 * ```
 */
export function selfTimes(
  profile: CpuProfile,
  key: (frame: CpuProfile["nodes"][number]["callFrame"]) => string = frameName,
): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, key(n.callFrame)]));
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    // A sample's time is the delta to the next sample; the last one gets its own delta.
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    const name = byId.get(id) ?? "?";
    totals.set(name, (totals.get(name) ?? 0) + us);
    all += us;
  });
  return [...totals].map(([name, us]) => ({ name, ms: us / 1000, share: all ? us / all : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

/**
 * `function (file:line)` with the file shortened to its path inside the repository or package.
 *
 * @example
 * ```ts
 * import { frameName } from "./cpu_profile.ts";
 * const name = frameName({ functionName: "", url: "file:///w/src/node/node.ts", lineNumber: 9 });
 * console.assert(name === "(anonymous) (src/node/node.ts:10)");
 * ```
 */
export function frameName(frame: { functionName: string; url: string; lineNumber: number }) {
  const fn = frame.functionName || "(anonymous)";
  if (!frame.url) return fn;
  return `${fn} (${shortUrl(frame.url)}:${frame.lineNumber + 1})`;
}

/**
 * The part of a script's URL that says where it is: from `src/`, `scripts/`, `node_modules/`'s
 * package or `ext:`; else the URL itself.
 *
 * @example
 * ```ts
 * import { shortUrl } from "./cpu_profile.ts";
 * console.assert(shortUrl("file:///w/src/store/kv.ts") === "src/store/kv.ts");
 * ```
 */
export function shortUrl(url: string): string {
  const m = /\/((?:src|scripts|test)\/.*)$/.exec(url) ??
    /node_modules\/(?:\.deno\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url) ??
    /npm\/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return m ? m[1] : url;
}
