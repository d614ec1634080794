/**
 * Checks a standard 5-field cron schedule, as `Deno.cron` takes it (UTC).
 *
 * @module
 */
import { InvalidMessageError } from "./errors.ts";

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

function checkPart(part: string, field: typeof FIELDS[number]): string | undefined {
  const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
  if (!m) return `"${part}" is not a number, range, list or step`;
  const [, , from, to, step] = m;
  for (const v of [from, to]) {
    if (v !== undefined && (Number(v) < field.min || Number(v) > field.max)) {
      return `${v} is outside ${field.min}-${field.max}`;
    }
  }
  if (from !== undefined && to !== undefined && Number(from) > Number(to)) {
    return `range ${from}-${to} runs backwards`;
  }
  if (step !== undefined && Number(step) < 1) return `step ${step} must be at least 1`;
  return undefined;
}

/**
 * Checks a 5-field cron schedule (`minute hour day-of-month month day-of-week`, UTC) with
 * numbers, `*`, ranges `a-b`, lists `a,b` and steps `/n`.
 *
 * @returns the schedule, trimmed.
 * @throws {InvalidMessageError} naming the field that is wrong.
 * @example
 * ```ts
 * import { checkCron } from "./cron.ts";
 * checkCron("*\/5 * * * *"); // "*\/5 * * * *"
 * ```
 */
export function checkCron(schedule: string): string {
  const fields = typeof schedule === "string" ? schedule.trim().split(/\s+/) : [];
  if (fields.length !== 5) {
    throw new InvalidMessageError(
      `Invalid schedule ${JSON.stringify(schedule)}: expected 5 fields ` +
        `(minute hour day-of-month month day-of-week), e.g. "*/5 * * * *"`,
    );
  }
  fields.forEach((value, i) => {
    for (const part of value.split(",")) {
      const why = checkPart(part, FIELDS[i]);
      if (why) {
        throw new InvalidMessageError(
          `Invalid schedule ${JSON.stringify(schedule)}: ${FIELDS[i].name}: ${why}`,
        );
      }
    }
  });
  return fields.join(" ");
}
