/** Options of {@linkcode LineBatcher}. */
export interface LineBatcherOptions {
  /** How long complete lines wait for company before they are sent (default 20 ms). */
  windowMs?: number;
  /** Send at once when this many characters are waiting (default 256 KiB). */
  maxBatchChars?: number;
}

/**
 * Turns a stream of text into batches of whole lines for a streaming method's `emit`: lines
 * that arrive within `windowMs` of each other go out as one message, so a fast producer does
 * not create thousands of messages, while a slow one still gets each line out promptly.
 * Batches are sent one at a time, in order; `push` waits when a full batch is being sent, which
 * slows the producer down instead of buffering without bound.
 *
 * @example
 * ```ts
 * import { LineBatcher } from "./line_batcher.ts";
 * const sent: string[] = [];
 * const lines = new LineBatcher(async (text) => { sent.push(text); });
 * await lines.push("a\nb");
 * await lines.push("c\n");
 * await lines.close();
 * // sent is ["a\nbc\n"]
 * ```
 */
export class LineBatcher {
  #emit: (text: string) => Promise<void>;
  #windowMs: number;
  #maxChars: number;
  #pending = "";
  #partial = "";
  #timer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(emit: (text: string) => Promise<void>, options: LineBatcherOptions = {}) {
    this.#emit = emit;
    this.#windowMs = options.windowMs ?? 20;
    this.#maxChars = options.maxBatchChars ?? 256 * 1024;
  }

  /**
   * Adds text; whole lines are sent within `windowMs`.
   *
   * @throws the error of a failed `emit`, once it is known.
   */
  push(text: string): Promise<void> {
    const all = this.#partial + text;
    const nl = all.lastIndexOf("\n");
    if (nl >= 0) {
      this.#pending += all.slice(0, nl + 1);
      this.#partial = all.slice(nl + 1);
    } else this.#partial = all;
    if (this.#partial.length >= this.#maxChars) {
      // A line this long is not coming to an end soon: send what there is of it.
      this.#pending += this.#partial;
      this.#partial = "";
    }
    if (this.#pending.length >= this.#maxChars) return this.#flush();
    if (this.#pending !== "" && this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#flush().catch(() => {}), this.#windowMs);
    }
    return this.#chain;
  }

  /**
   * Sends everything held, including a last line without a newline, and waits until it is sent.
   *
   * @throws the error of a failed `emit`.
   */
  close(): Promise<void> {
    this.#pending += this.#partial;
    this.#partial = "";
    return this.#flush();
  }

  #flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === "") return this.#chain;
    const batch = this.#pending;
    this.#pending = "";
    this.#chain = this.#chain.then(() => this.#emit(batch));
    return this.#chain;
  }
}
