/** Most bytes of one line held back waiting for its end. */
const MAX_HELD_LINE = 256 * 1024;

/**
 * Cuts a command's output bytes at line ends, so that each piece decodes on its own and is
 * known by the byte of the output it ends at (where a resumed stream starts again).
 *
 * @example
 * ```ts
 * import { LineSplitter } from "./line_splitter.ts";
 * const lines = new LineSplitter(0);
 * lines.take(new TextEncoder().encode("a\nb")); // { text: "a\n", end: 2 }
 * lines.rest(); // "b"
 * lines.end; // 3
 * ```
 */
export class LineSplitter {
  #held = new Uint8Array(0);
  #end: number;
  #decoder = new TextDecoder();

  /** Output that starts at byte `start`. */
  constructor(start: number) {
    this.#end = start;
  }

  /** The byte of the output everything taken so far ends at. */
  get end(): number {
    return this.#end + this.#held.length;
  }

  /** The whole lines `chunk` completes, and where they end; undefined while none is whole. */
  take(chunk: Uint8Array): { text: string; end: number } | undefined {
    const all = new Uint8Array(this.#held.length + chunk.length);
    all.set(this.#held);
    all.set(chunk, this.#held.length);
    let cut = all.lastIndexOf(0x0a) + 1;
    // A line this long is not coming to an end soon: it goes as it is.
    if (cut === 0 && all.length >= MAX_HELD_LINE) cut = all.length;
    this.#held = all.slice(cut);
    if (cut === 0) return undefined;
    this.#end += cut;
    return { text: this.#decoder.decode(all.subarray(0, cut), { stream: true }), end: this.#end };
  }

  /** What is held of a last line without its newline. */
  rest(): string {
    const text = this.#decoder.decode(this.#held);
    this.#end += this.#held.length;
    this.#held = new Uint8Array(0);
    return text;
  }
}
