import { assert, assertEquals } from "../../test/assert.ts";
import { checkTargets, type TargetFigures } from "./targets.ts";

/** Figures that meet every target. */
const good: TargetFigures = {
  e2e_p50_ms: 0.5,
  raw_p50_ms: 0.25,
  fanout100_s: 0.2,
  socket1000_s: 0.25,
  cli1000_s: 1.2,
  spawn_floor_s: 1.0,
  cli_first_reply_ms: 40,
  cli_rtt_p50_ms: 4,
  cli1000_peak_rss_mb: 120,
  socket_rtt_p50_ms: 3,
  idle_rss_mb: 52,
  peak_rss_mb: 110,
  startup_ms: 300,
};

const missed = (f: TargetFigures) => checkTargets(f).filter((t) => !t.met).map((t) => t.target);

Deno.test("checkTargets: figures within every target meet them all; no ratio_rps target", () => {
  assertEquals(missed(good), []);
  assert(checkTargets(good).every((t) => !t.target.includes("ratio_rps")));
});

Deno.test("checkTargets: 1000 commands must be within 1.5 s and within 1.5× the spawn floor", () => {
  assertEquals(missed({ ...good, cli1000_s: 1.6, spawn_floor_s: 1.2 }).length, 1);
  // Under 1.5 s, but twice what the same spawns take directly.
  assertEquals(missed({ ...good, cli1000_s: 1.4, spawn_floor_s: 0.7 }).length, 1);
  assertEquals(missed({ ...good, cli1000_s: 1.5, spawn_floor_s: 1.0 }), []);
});

Deno.test("checkTargets: issue 15's bounds, and a figure not measured counts as missed", () => {
  for (
    const worse of [
      { cli_first_reply_ms: 101 },
      { cli_rtt_p50_ms: 5.1 },
      { socket1000_s: 0.31 },
      { idle_rss_mb: 56 },
      { cli1000_peak_rss_mb: 151 },
      { peak_rss_mb: 151 },
      { cli1000_s: NaN },
    ]
  ) {
    assertEquals(missed({ ...good, ...worse }).length, 1, JSON.stringify(worse));
  }
});
