/**
 * The agent's log: one line per event on stderr, as text for a terminal or as one JSON object
 * per line (`-logFormat=json`, for journald and Loki), filtered by `-logLevel`. Identical
 * warnings and errors within a second (message ids aside) are folded: the first is written, then
 * one line with the count.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** How much is logged, least first: `debug` logs everything, `error` only errors. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/** `text`: one readable line; `json`: one object per line (time, level, node, event, msg, fields). */
export type LogFormat = "text" | "json";

/** The levels, least severe first, as `-logLevel` accepts them. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
/** The formats, as `-logFormat` accepts them. */
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** Values of a log line beyond its text (message id, method, node, duration…). */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Options of a {@linkcode Logger}. */
export interface LoggerOptions {
  /** This node's name, in every JSON line. */
  node: string;
  /** Lines below it are dropped (default `info`). */
  level?: LogLevel;
  /** Default `text`. */
  format?: LogFormat;
  /** Where a finished line goes (default: stderr, the lines of one task in one write). */
  write?: (line: string) => void;
  /** The clock, in ms since the epoch (default `Date.now`); tests inject one. */
  now?: () => number;
  /** Identical warnings and errors within this many ms are folded (default 1000; 0: none). */
  foldMs?: number;
  /**
   * Schedules the write of a fold's count once its window is over (default a `setTimeout` that
   * does not keep the process alive); tests with an injected clock call `flush` instead.
   */
  schedule?: (ms: number, fn: () => void) => void;
}

interface Fold {
  level: LogLevel;
  event: string;
  text: string;
  fields: LogFields;
  since: number;
  repeats: number;
}

// Message ids (20 base-36 characters) differ between otherwise identical lines.
const ID = /\b[0-9a-z]{20}\b/g;

/**
 * `text` with the message ids it quotes replaced by `…`: lines equal but for their ids (the
 * refusals of a flood, the resends of one failure) fold together.
 *
 * @example
 * ```ts
 * import { foldKey } from "./logger.ts";
 * foldKey("message 0mx4w63xn00000s5dx7n refused"); // "message … refused"
 * ```
 */
export function foldKey(text: string): string {
  return text.replace(ID, "…");
}
// A line that carries its own time (error reports do, for central's error log).
const LEADING_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z,? */;

/**
 * The agent's log.
 *
 * @example
 * ```ts
 * import { Logger } from "./logger.ts";
 * const lines: string[] = [];
 * const log = new Logger({ node: "ship1", format: "json", write: (l) => lines.push(l) });
 * log.info("executed", "executed REQPing 0mx4w63xn00001s5dx7n in 3 ms", { ms: 3 });
 * JSON.parse(lines[0]).event; // "executed"
 * ```
 */
export class Logger {
  readonly node: string;
  readonly level: LogLevel;
  readonly format: LogFormat;
  #write: (line: string) => void;
  #now: () => number;
  #foldMs: number;
  #schedule: (ms: number, fn: () => void) => void;
  #folds = new Map<string, Fold>();

  constructor(options: LoggerOptions) {
    this.node = options.node;
    this.level = options.level ?? "info";
    this.format = options.format ?? "text";
    this.#write = options.write ?? ((line) => this.#toStderr(line));
    // Lines still held when the process exits are written then.
    if (!options.write) globalThis.addEventListener("unload", () => this.#writeStderr());
    this.#now = options.now ?? Date.now;
    this.#foldMs = options.foldMs ?? 1000;
    this.#schedule = options.schedule ?? ((ms, fn) => Deno.unrefTimer(setTimeout(fn, ms)));
  }

  /** Whether lines of `level` are written. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.level);
  }

  /** Writes a line of `level` about `event` (a short name: `accepted`, `broker`, …). */
  log(level: LogLevel, event: string, text: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const now = this.#now();
    this.#endFolds(now);
    // Only warnings and errors come in floods; each message's own lines are never folded.
    if (level === "debug" || level === "info") return this.#emit(now, level, event, text, fields);
    const key = `${level} ${event} ${foldKey(text)}`;
    const fold = this.#folds.get(key);
    if (fold) {
      fold.repeats++;
      return;
    }
    if (this.#foldMs > 0) {
      this.#folds.set(key, { level, event, text, fields, since: now, repeats: 0 });
      this.#schedule(this.#foldMs, () => this.#endFolds(this.#now()));
    }
    this.#emit(now, level, event, text, fields);
  }

  /** A `debug` line. */
  debug(event: string, text: string, fields?: LogFields): void {
    this.log("debug", event, text, fields);
  }
  /** An `info` line. */
  info(event: string, text: string, fields?: LogFields): void {
    this.log("info", event, text, fields);
  }
  /** A `warn` line. */
  warn(event: string, text: string, fields?: LogFields): void {
    this.log("warn", event, text, fields);
  }
  /** An `error` line. */
  error(event: string, text: string, fields?: LogFields): void {
    this.log("error", event, text, fields);
  }

  /**
   * A free-form line of the agent's parts: an error report (`<time>, error: …`) is an `error`,
   * anything else `info`; the time it carries is left to the logger's own.
   */
  line(text: string): void {
    const bare = text.replace(LEADING_TIME, "");
    if (bare.startsWith("error: ")) this.error("error", bare.slice("error: ".length));
    else this.info("log", bare);
  }

  /** Writes the counts of the folds still open, and every line not yet written (at exit). */
  flush(): void {
    this.#endFolds(Infinity);
    this.#writeStderr();
  }

  // A write to stderr costs ~8 µs, five times the line: a message's lines, and a burst's, go
  // out together once the current task is done.
  #stderrLines: string[] = [];
  #toStderr(line: string): void {
    if (this.#stderrLines.push(line) === 1) setImmediate(() => this.#writeStderr());
  }
  #writeStderr(): void {
    if (this.#stderrLines.length === 0) return;
    const bytes = new TextEncoder().encode(this.#stderrLines.join("\n") + "\n");
    this.#stderrLines = [];
    try {
      for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
    } catch {
      // Nowhere left to say it (stderr closed).
    }
  }

  #endFolds(now: number): void {
    for (const [key, fold] of this.#folds) {
      if (now - fold.since < this.#foldMs) continue;
      this.#folds.delete(key);
      if (fold.repeats === 0) continue;
      const seconds = Math.max(1, Math.round((Math.min(now, this.#now()) - fold.since) / 1000));
      this.#emit(
        this.#now(),
        fold.level,
        fold.event,
        `${foldKey(fold.text)} (repeated ${fold.repeats} times in ${seconds} s)`,
        { ...fold.fields, repeated: fold.repeats },
      );
    }
  }

  #emit(now: number, level: LogLevel, event: string, text: string, fields: LogFields): void {
    const defined = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (this.format === "json") {
      this.#write(JSON.stringify({
        time: new Date(now).toISOString(),
        level,
        node: this.node,
        event,
        msg: text,
        ...(defined.length > 0 ? { fields: Object.fromEntries(defined) } : {}),
      }));
      return;
    }
    this.#write(`${new Date(now).toISOString()} ${level.toUpperCase().padEnd(5)} ${text}`);
  }
}
