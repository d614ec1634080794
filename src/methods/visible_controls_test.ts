import { assertEquals } from "../../test/assert.ts";
import { visibleControls } from "./visible_controls.ts";

Deno.test("visibleControls() escapes ESC, C0, DEL, C1 and bidi controls; keeps tab and text", () => {
  assertEquals(visibleControls("plain text, ünïcode ✓\ttab"), "plain text, ünïcode ✓\ttab");
  assertEquals(visibleControls("\x1b[2J\x1b]0;title\x07"), "\\x1b[2J\\x1b]0;title\\x07");
  assertEquals(visibleControls("a\rb\nc\x00d\x7fe"), "a\\rb\\nc\\x00d\\x7fe");
  assertEquals(visibleControls("\u009b31m\u0085"), "\\x9b31m\\x85");
  assertEquals(
    visibleControls("x\u202ey\u2066z\u2069\u200f\u2028"),
    "x\\u202ey\\u2066z\\u2069\\u200f\\u2028",
  );
});

Deno.test("visibleControls() leaves no character a terminal would act on", () => {
  let all = "";
  for (let n = 0; n < 0x3000; n++) all += String.fromCharCode(n);
  const out = visibleControls(all);
  for (const c of out) {
    const n = c.codePointAt(0)!;
    const control = (n < 0x20 && c !== "\t") || (n >= 0x7f && n < 0xa0) ||
      (n >= 0x202a && n <= 0x202e) || (n >= 0x2066 && n <= 0x2069);
    assertEquals(control, false, `U+${n.toString(16)} left raw`);
  }
});

Deno.test("visibleControls() keeps new lines when asked (log lines that span lines)", () => {
  assertEquals(visibleControls("a\nb\x1b[31m", { keepNewlines: true }), "a\nb\\x1b[31m");
});
