import { assertEquals } from "../../test/assert.ts";
import { Logger, type LoggerOptions } from "./logger.ts";

function logger(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const clock = { now: Date.parse("2026-12-01T10:00:00.000Z") };
  const log = new Logger({
    node: "central",
    write: (l) => lines.push(l),
    now: () => clock.now,
    schedule: () => {},
    ...options,
  });
  return { log, lines, clock };
}

Deno.test("Logger folds 25 identical lines in a second into the first and one count", () => {
  const { log, lines, clock } = logger();
  for (let i = 0; i < 25; i++) {
    // The same refusal of 25 messages: only the id differs.
    const id = `0mx4w63xn000${String(i).padStart(2, "0")}s5dx7n`;
    log.line(`2026-12-01T10:00:00.000Z, error: message ${id} from ship1 refused: no trusted key`);
    clock.now += 1;
  }
  clock.now += 1000;
  log.info("ready", "steward central: ready");
  assertEquals(lines, [
    "2026-12-01T10:00:00.000Z ERROR message 0mx4w63xn00000s5dx7n from ship1 refused: no trusted key",
    "2026-12-01T10:00:01.025Z ERROR message … from ship1 refused: no trusted key (repeated 24 times in 1 s)",
    "2026-12-01T10:00:01.025Z INFO  steward central: ready",
  ]);
});

Deno.test("Logger writes a fold's count at flush, and a line after the window again", () => {
  const { log, lines, clock } = logger({ format: "json" });
  log.warn("broker", "cannot reach nats://127.0.0.1:1: connection refused; retrying");
  log.warn("broker", "cannot reach nats://127.0.0.1:1: connection refused; retrying");
  clock.now += 1500;
  log.warn("broker", "cannot reach nats://127.0.0.1:1: connection refused; retrying");
  log.warn("broker", "cannot reach nats://127.0.0.1:1: connection refused; retrying");
  log.flush();
  assertEquals(lines.map((l) => JSON.parse(l)), [
    {
      time: "2026-12-01T10:00:00.000Z",
      level: "warn",
      node: "central",
      event: "broker",
      msg: "cannot reach nats://127.0.0.1:1: connection refused; retrying",
    },
    {
      time: "2026-12-01T10:00:01.500Z",
      level: "warn",
      node: "central",
      event: "broker",
      msg:
        "cannot reach nats://127.0.0.1:1: connection refused; retrying (repeated 1 times in 2 s)",
      fields: { repeated: 1 },
    },
    {
      time: "2026-12-01T10:00:01.500Z",
      level: "warn",
      node: "central",
      event: "broker",
      msg: "cannot reach nats://127.0.0.1:1: connection refused; retrying",
    },
    {
      time: "2026-12-01T10:00:01.500Z",
      level: "warn",
      node: "central",
      event: "broker",
      msg:
        "cannot reach nats://127.0.0.1:1: connection refused; retrying (repeated 1 times in 1 s)",
      fields: { repeated: 1 },
    },
  ]);
});

Deno.test("Logger never folds info lines: each message's events are its own", () => {
  const { log, lines } = logger();
  log.info("published", "published REQPing 0mx4w63xn00000s5dx7n to ship1");
  log.info("published", "published REQPing 0mx4w63xn00001s5dx7n to ship1");
  log.flush();
  assertEquals(lines.length, 2);
});

Deno.test("Logger drops lines below -logLevel and puts fields in JSON only", () => {
  const { log, lines } = logger({ level: "warn" });
  log.info("accepted", "accepted REQPing");
  log.debug("x", "y");
  log.error("failed", "REQPing to ship1 failed: max retries", { id: "a", method: "REQPing" });
  assertEquals(lines, ["2026-12-01T10:00:00.000Z ERROR REQPing to ship1 failed: max retries"]);
  const json = logger({ format: "json", level: "debug" });
  json.log.debug("executed", "executed REQPing in 3 ms", { ms: 3, error: undefined });
  assertEquals(JSON.parse(json.lines[0]).fields, { ms: 3 });
});
