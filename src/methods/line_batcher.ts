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
 * slows the producer down instead of buffering without bound. A push may carry a mark (where
 * its text ends in the producer's output): a batch that ends exactly there is emitted with it,
 * so that the producer can resume after the last batch sent.
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
  #emit: (text: string, mark?: number) => Promise<void>;
  #windowMs: number;
  #maxChars: number;
  #pending = "";
  /** The mark of the push that `#pending` ends with, when it ends exactly there. */
  #pendingMark: number | undefined;
  #partial = "";
  #timer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    emit: (text: string, mark?: number) => Promise<void>,
    options: LineBatcherOptions = {},
  ) {
    this.#emit = emit;
    this.#windowMs = options.windowMs ?? 20;
    this.#maxChars = options.maxBatchChars ?? 256 * 1024;
  }

  /**
   * Adds text; whole lines are sent within `windowMs`. `mark` says where `text` ends in the
   * producer's output (see the class).
   *
   * @throws the error of a failed `emit`, once it is known.
   */
  push(text: string, mark?: number): Promise<void> {
    const all = this.#partial + text;
    const nl = all.lastIndexOf("\n");
    if (nl >= 0) {
      this.#pending += all.slice(0, nl + 1);
      this.#partial = all.slice(nl + 1);
      this.#pendingMark = undefined;
    } else this.#partial = all;
    if (this.#partial.length >= this.#maxChars) {
      // A line this long is not coming to an end soon: send what there is of it.
      this.#pending += this.#partial;
      this.#partial = "";
      this.#pendingMark = undefined;
    }
    if (this.#partial === "" && this.#pending !== "") this.#pendingMark = mark;
    if (this.#pending.length >= this.#maxChars) return this.#flush();
    if (this.#pending !== "" && this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#flush().catch(() => {}), this.#windowMs);
    }
    return this.#chain;
  }

  /**
   * Sends everything held, including a last line without a newline, and waits until it is sent.
   * `mark` says where the producer's output ends.
   *
   * @throws the error of a failed `emit`.
   */
  close(mark?: number): Promise<void> {
    this.#pending += this.#partial;
    this.#partial = "";
    this.#pendingMark = mark;
    return this.#flush();
  }

  #flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === "") return this.#chain;
    const batch = this.#pending;
    const mark = this.#pendingMark;
    this.#pending = "";
    this.#pendingMark = undefined;
    this.#chain = this.#chain.then(() => this.#emit(batch, mark));
    return this.#chain;
  }
}
