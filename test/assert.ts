/**
 * The few assertions the tests need (JSR's @std/assert is not reachable here), built on
 * `node:assert`.
 *
 * @module
 */
import nodeAssert from "node:assert";

/** Throws when `condition` is falsy. */
export function assert(condition: unknown, message?: string): asserts condition {
  if (!condition) throw new Error(message ?? "assertion failed");
}

/** Throws when `actual` and `expected` are not deeply equal. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Throws when `actual` does not match `pattern`. */
export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(actual)) {
    throw new Error(
      `${message ? message + ": " : ""}${JSON.stringify(actual)} does not match ${pattern}`,
    );
  }
}

/** Throws unless `fn` throws (or rejects) with a message matching `pattern`. */
export async function assertRejects(
  fn: () => unknown,
  pattern?: RegExp,
): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    if (pattern) assertMatch(e.message, pattern);
    return e;
  }
  throw new Error("expected an error, none was thrown");
}
