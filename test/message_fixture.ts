/**
 * A stamped message for tests, with every required field set to a small valid value.
 *
 * @module
 */
import type { Message } from "../src/message/schema.ts";

/**
 * Returns a stamped `REQPing` from central to ship1, with `overrides` applied.
 *
 * @example
 * ```ts
 * import { testMessage } from "./message_fixture.ts";
 * const m = testMessage({ id: "a", data: "x" });
 * ```
 */
export function testMessage(overrides: Partial<Message> = {}): Message {
  return {
    id: "test-message",
    toNode: "ship1",
    fromNode: "central",
    method: "REQPing",
    methodArgs: [],
    replyMethodArgs: [],
    ACKTimeout: 1,
    retries: 1,
    replyACKTimeout: 1,
    replyRetries: 1,
    methodTimeout: 1,
    replyMethodTimeout: 1,
    directory: "",
    fileName: "",
    data: "",
    createdAt: 0,
    isReply: false,
    ...overrides,
  };
}
