/**
 * Issue 16: kill -9 of central, of ship1, and of the broker at random moments while commands
 * with small and chunked (over the broker's 1 MB payload) replies flow, then a clean restart.
 * Per accepted message: it ran at most once, and was answered exactly once, with its result
 * intact: a command running when ship1 is killed goes on, and its result is collected from its
 * spool after the restart (some commands sleep a second, so that kills find them running; every
 * round kills ship1 at least once).
 * A client that lost its answers with central resends with the same idempotency keys.
 */
import { assert, assertEquals } from "../assert.ts";
import { type Answer, delay, Fleet, readOr, waitFor } from "../harness.ts";
import { figure, OPTS } from "./support.ts";

const ROUNDS = 3;
const PER_ROUND = 30;
const BIG = 1_200_000;

/** A small deterministic generator (mulberry32), so that a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test(
  "random kills: kill -9 of central, ship1 and the broker amid small and chunked replies; each command runs at most once, is answered exactly once, intact",
  OPTS,
  async () => {
    const seed = Number(Deno.env.get("FAULT_SEED") ?? Date.now() % 100_000);
    const rand = random(seed);
    const fleet = await Fleet.start(["central", "ship1"], {
      flags: { ship1: ["-maxConcurrentMethods=4"] },
    });
    const kills: string[] = [];
    try {
      const central = fleet.get("central");
      const ship1 = fleet.get("ship1");
      const ran = `${ship1.dir}/ran.txt`;
      const tokens: { token: string; big: boolean }[] = [];
      const idOf = new Map<string, string>();
      const fileOf = (t: string) => central.file("rk", "ship1", `${t}.txt`);
      const expected = (t: string, big: boolean) =>
        big ? `${t}:${"a".repeat(BIG)}:${t}\n` : `${t}\n`;
      for (let round = 0; round < ROUNDS; round++) {
        const batch = Array.from({ length: PER_ROUND }, (_, i) => {
          const token = `r${round}t${i}`;
          const big = rand() < 0.2;
          const output = big
            ? `printf '${token}:'; head -c ${BIG} /dev/zero | tr '\\0' a; echo ':${token}'`
            : `echo ${token}`;
          tokens.push({ token, big });
          return {
            toNode: "ship1",
            method: "REQCliCommand",
            methodArgs: [
              "bash",
              "-c",
              `echo ${token} >> ${ran}; sleep ${i % 5 === 0 ? 1 : `0.0${1 + i % 9}`}; ${output}`,
            ],
            replyMethod: "REQToFileAppend",
            directory: "rk",
            fileName: `${token}.txt`,
            ACKTimeout: 3,
            retries: 200,
            replyACKTimeout: 3,
            replyRetries: 200,
            methodTimeout: 60,
            idempotencyKey: `rk-${seed}-${token}`,
          };
        });
        // Kills at random moments while the round flows.
        const killing = (async () => {
          for (let k = 0; k < 2; k++) {
            await delay(200 + Math.floor(rand() * 1500));
            // Each round kills ship1 once at least, amid its commands: the losses the spool
            // prevents show in every run, not only in the runs whose draws chose ship1.
            const last = k === 1 && !kills.some((v) => v === `round ${round}: ship1`);
            const victim = last ? "ship1" : ["central", "ship1", "broker"][Math.floor(rand() * 3)];
            kills.push(`round ${round}: ${victim}`);
            if (victim === "broker") {
              await fleet.broker.stop();
              await delay(500);
              await fleet.broker.restart();
            } else {
              await fleet.get(victim).kill9();
              await fleet.get(victim).restart();
            }
          }
        })();
        // The client: until every message has its "accepted" answer, resend the ones without
        // one (same keys: a message central stored is answered with its first id).
        let missing = batch;
        await waitFor(
          async () => {
            let answers: Answer[] = [];
            try {
              answers = await central.send(missing);
            } catch {
              return false; // Central down or killed while answering: try again.
            }
            const left = [];
            for (const [i, m] of missing.entries()) {
              const a = answers.find((x) => x.index === i && x.status === "accepted");
              if (a?.id) idOf.set(m.fileName.replace(".txt", ""), a.id);
              else left.push(m);
            }
            missing = left;
            return missing.length === 0;
          },
          120_000,
          `answers for round ${round}`,
        );
        await killing;
      }
      const answered = async (t: string, big: boolean) => {
        const text = await readOr(fileOf(t));
        const results = text.split(expected(t, big)).length - 1;
        const errors = text.split("\n").filter((l) =>
          l.includes("ERROR") && l.includes(idOf.get(t)!)
        ).length;
        return { text, results, errors };
      };
      try {
        await waitFor(
          async () => {
            for (const { token, big } of tokens) {
              const a = await answered(token, big);
              if (a.results + a.errors === 0) return false;
            }
            return true;
          },
          180_000,
          "an answer to every command",
        );
      } catch (err) {
        const ranText = await readOr(ran);
        for (const { token, big } of tokens) {
          const a = await answered(token, big);
          if (a.results + a.errors > 0) continue;
          const id = idOf.get(token)!;
          const grep = async (path: string) =>
            (await readOr(path)).split("\n").filter((l) => l.includes(id)).map((l) => {
              const e = JSON.parse(l);
              return `${e.time} ${e.event} ${e.subject} ${
                String(e.message?.data ?? "").slice(0, 400)
              }`;
            });
          console.error(
            `unanswered ${token} (${id}, big ${big}): ran ${ranText.includes(token + "\n")}; ` +
              `file ${JSON.stringify(a.text.slice(0, 200))}\n` +
              `central audit: ${(await grep(`${central.dir}/var/audit.log`)).join("\n  ")}\n` +
              `ship1 audit: ${(await grep(`${ship1.dir}/var/audit.log`)).join("\n  ")}`,
          );
        }
        console.error(`central said:\n${central.output.slice(-2000)}`);
        console.error(`ship1 said:\n${ship1.output.slice(-2000)}`);
        throw err;
      }
      await delay(3000); // Late duplicates would show up here.
      const runs = new Map<string, number>();
      for (const r of (await readOr(ran)).split("\n").filter((l) => l !== "")) {
        runs.set(r, (runs.get(r) ?? 0) + 1);
      }
      let interrupted = 0;
      for (const { token, big } of tokens) {
        const a = await answered(token, big);
        assert((runs.get(token) ?? 0) <= 1, `${token} ran ${runs.get(token)} times`);
        assertEquals(a.results + a.errors, 1, `${token} answered ${a.results + a.errors} times`);
        // Nothing but its one answer in its file: a result intact, or one error line.
        if (a.results === 1) assertEquals(a.text, expected(token, big), `${token} damaged`);
        else interrupted++;
      }
      // Before the spool: up to one per executor slot and kill of ship1.
      assertEquals(interrupted, 0, `${interrupted} answered with an error`);
      figure("random-kills", {
        seed,
        kills,
        commands: tokens.length,
        big: tokens.filter((t) => t.big).length,
        ran: runs.size,
        interrupted,
        interruptedUnrun: tokens.filter((t) => !runs.has(t.token)).length,
      });
    } catch (err) {
      console.error(`seed ${seed}; kills: ${kills.join(", ")}`);
      throw err;
    } finally {
      await fleet.stop();
    }
  },
);
