import { assert, assertEquals } from "../../test/assert.ts";
import { FanOutProgress, type ProgressWriter } from "./fan_out_progress.ts";

function writer(terminal: boolean): ProgressWriter & { text: () => string } {
  let text = "";
  return {
    isTerminal: () => terminal,
    writeSync: (bytes) => {
      text += new TextDecoder().decode(bytes);
      return bytes.length;
    },
    text: () => text,
  };
}

const timeless = (text: string) => text.replace(/, \d+\.\d s/g, ", T s");

Deno.test("FanOutProgress on a terminal redraws one line in place, then the summary", () => {
  const out = writer(true);
  const progress = new FanOutProgress(3, out);
  progress.started();
  progress.started();
  progress.finished(false);
  progress.end({ failed: [{ node: "a", error: "exit 1\nmore" }], notStarted: ["c"] });
  const text = timeless(out.text());
  assert(text.startsWith("\r\x1b[K0 done / 0 failed / 1 running of 3, T s"), JSON.stringify(text));
  assert(
    text.endsWith(
      "\r\x1b[Kfan-out: 0 done / 1 failed / 1 running of 3, T s\n" +
        "failed: a (exit 1)\nnever started (1): c\n",
    ),
    JSON.stringify(text),
  );
});

Deno.test("FanOutProgress not on a terminal writes only the summary", () => {
  const out = writer(false);
  const progress = new FanOutProgress(2, out);
  progress.started();
  progress.finished(true);
  progress.started();
  progress.finished(true);
  progress.end({ failed: [], notStarted: [] });
  assertEquals(timeless(out.text()), "fan-out: 2 done / 0 failed / 0 running of 2, T s\n");
});

Deno.test("FanOutProgress lists at most 20 nodes never started, and counts the rest", () => {
  const out = writer(false);
  const nodes = Array.from({ length: 25 }, (_, i) => `n${i}`);
  new FanOutProgress(25, out).end({ failed: [], notStarted: nodes, stopReason: "why" });
  assertEquals(
    timeless(out.text()).split("\n").slice(1).join("\n"),
    `stopped early: why\nnever started (25): ${nodes.slice(0, 20).join(", ")} and 5 more\n`,
  );
});
