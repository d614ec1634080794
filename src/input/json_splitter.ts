/** One complete top-level value found in a byte stream, or bytes that cannot start one. */
export type Piece = { kind: "value"; bytes: Uint8Array } | { kind: "garbage"; bytes: Uint8Array };

const OPEN = new Set([0x5b, 0x7b]); // [ {
const CLOSE = new Set([0x5d, 0x7d]); // ] }
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NEWLINE = 0x0a;

/**
 * Splits a byte stream into top-level JSON arrays or objects as soon as each is complete, so
 * a client that keeps its connection open (`nc -U`) gets answers without closing first. Bytes
 * at the top level that cannot start an array or object are returned as garbage up to the
 * next newline.
 *
 * @example
 * ```ts
 * import { JsonSplitter } from "./json_splitter.ts";
 * const s = new JsonSplitter();
 * const enc = new TextEncoder();
 * s.push(enc.encode('[{"a":1}] {"b"'));
 * s.push(enc.encode(':2}'));
 * console.assert(s.pending === 0);
 * ```
 */
export class JsonSplitter {
  #buffer = new Uint8Array(0);
  #pieces: Piece[] = [];
  #scan = 0; // next byte to look at
  #start = -1; // start of the value being read, or -1 between values
  #depth = 0;
  #inString = false;
  #escaped = false;
  #garbage = false;

  /** Bytes held that do not yet form a complete value. */
  get pending(): number {
    return this.#start === -1 ? 0 : this.#buffer.length - this.#start;
  }

  /** Adds bytes and returns the pieces completed by them. */
  push(chunk: Uint8Array): Piece[] {
    const merged = new Uint8Array(this.#buffer.length + chunk.length);
    merged.set(this.#buffer);
    merged.set(chunk, this.#buffer.length);
    this.#buffer = merged;
    this.#run();
    return this.#take();
  }

  /** Ends the stream: returns what is left as garbage (a truncated value), if anything. */
  end(): Piece[] {
    if (this.#start !== -1) {
      this.#pieces.push({ kind: "garbage", bytes: this.#buffer.subarray(this.#start) });
    }
    this.#buffer = new Uint8Array(0);
    this.#start = -1;
    this.#scan = 0;
    return this.#take();
  }

  #take(): Piece[] {
    const out = this.#pieces;
    this.#pieces = [];
    // Drop consumed bytes so the buffer only holds the value in progress.
    const keep = this.#start === -1 ? this.#scan : this.#start;
    if (keep > 0) {
      this.#buffer = this.#buffer.slice(keep);
      this.#scan -= keep;
      if (this.#start !== -1) this.#start -= keep;
    }
    return out;
  }

  #run(): void {
    const b = this.#buffer;
    for (; this.#scan < b.length; this.#scan++) {
      const c = b[this.#scan];
      if (this.#start === -1) {
        if (WHITESPACE.has(c)) continue;
        this.#start = this.#scan;
        this.#garbage = !OPEN.has(c);
        if (this.#garbage) {
          if (c === NEWLINE) this.#emit("garbage");
          continue;
        }
        this.#depth = 1;
        continue;
      }
      if (this.#garbage) {
        if (c === NEWLINE) this.#emit("garbage");
        continue;
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === BACKSLASH) this.#escaped = true;
        else if (c === QUOTE) this.#inString = false;
        continue;
      }
      if (c === QUOTE) this.#inString = true;
      else if (OPEN.has(c)) this.#depth++;
      else if (CLOSE.has(c) && --this.#depth === 0) this.#emit("value");
    }
  }

  #emit(kind: Piece["kind"]): void {
    this.#pieces.push({ kind, bytes: this.#buffer.slice(this.#start, this.#scan + 1) });
    this.#start = -1;
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
  }
}
