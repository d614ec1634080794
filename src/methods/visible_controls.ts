/**
 * Characters a terminal acts on instead of printing: C0 controls but tab and new line (ESC
 * starts the escape sequences that clear the screen, set the window title or remap keys), DEL,
 * C1 controls (U+0080–U+009F, CSI among them), and the Unicode controls that reorder or hide
 * text (bidi embeddings, overrides and isolates, line and paragraph separators).
 */
// deno-lint-ignore no-control-regex -- matching control characters is this module's job.
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** Options of {@linkcode visibleControls}. */
export interface VisibleControlsOptions {
  /** Keep new lines as they are (a log line that spans lines); default false. */
  keepNewlines?: boolean;
}

/**
 * Shows the control characters in `text` as visible escapes (`\x1b`, `\u202e`), so that text
 * from another node printed on a terminal is only ever read, never obeyed. Tab is kept; a new
 * line is escaped too unless `keepNewlines` (print one line at a time).
 *
 * @example
 * ```ts
 * import { visibleControls } from "./visible_controls.ts";
 * visibleControls("a\x1b[2Jb\tc"); // "a\\x1b[2Jb\tc"
 * visibleControls("a\nb\x07", { keepNewlines: true }); // "a\nb\\x07"
 * ```
 */
export function visibleControls(text: string, options: VisibleControlsOptions = {}): string {
  return text.replace(CONTROLS, (c) => {
    const n = c.charCodeAt(0);
    if (n === 0x0a) return options.keepNewlines ? c : "\\n";
    if (n === 0x0d) return "\\r";
    return n < 0x100
      ? `\\x${n.toString(16).padStart(2, "0")}`
      : `\\u${n.toString(16).padStart(4, "0")}`;
  });
}
