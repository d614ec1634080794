/**
 * A bounded FIFO queue. {@linkcode RingBuffer.push} waits while the buffer is full, which
 * pushes back on the inputs instead of dropping; {@linkcode RingBuffer.pop} waits while it is
 * empty.
 *
 * @example
 * ```ts
 * import { RingBuffer } from "./ring_buffer.ts";
 * const ring = new RingBuffer<number>(2);
 * await ring.push(1);
 * await ring.push(2);
 * console.assert((await ring.pop()) === 1);
 * ```
 */
export class RingBuffer<T> {
  #slots: (T | undefined)[];
  #head = 0;
  #length = 0;
  #waitingPush: (() => void)[] = [];
  #waitingPop: (() => void)[] = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`RingBuffer capacity must be a positive integer, got ${capacity}`);
    }
    this.#slots = new Array(capacity);
  }

  /** Number of items waiting. */
  get length(): number {
    return this.#length;
  }

  /** Maximum number of items held. */
  get capacity(): number {
    return this.#slots.length;
  }

  /** Adds `item` at the tail, waiting for room when full. */
  async push(item: T): Promise<void> {
    while (this.#length === this.#slots.length) {
      await new Promise<void>((resolve) => this.#waitingPush.push(resolve));
    }
    this.#slots[(this.#head + this.#length) % this.#slots.length] = item;
    this.#length++;
    this.#waitingPop.shift()?.();
  }

  /** Removes and returns the head, waiting for an item when empty. */
  async pop(signal?: AbortSignal): Promise<T> {
    while (this.#length === 0) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal?.removeEventListener("abort", wake);
          resolve();
        };
        this.#waitingPop.push(wake);
        signal?.addEventListener("abort", wake);
      });
    }
    const item = this.#slots[this.#head] as T;
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#slots.length;
    this.#length--;
    this.#waitingPush.shift()?.();
    return item;
  }
}
