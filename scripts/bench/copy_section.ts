/**
 * The copy section of the benchmark: a 1 GB file (sparse, made here) copied central → ship1 on
 * loopback through real agent processes, beside the raw throughput of the same broker in the
 * same run (a stream of publishes, and one request/reply at a time of the copy's chunk size),
 * the agents' memory during the copy, and the time a copy takes to go on after a kill -9 of its
 * destination.
 *
 * @module
 */
import { join } from "node:path";
import { connect as natsConnect } from "npm:@nats-io/transport-node@3.4.0";
import { connect, to } from "../../mod.ts";
import { DEFAULT_CHUNK_BYTES } from "../../src/copy/copies.ts";
import { Agent } from "../../test/harness.ts";

/** What the copy section measured. */
export interface CopyFigures {
  copy_1gb_s: number;
  copy_mb_s: number;
  raw_publish_mb_s: number;
  raw_chunk_rr_mb_s: number;
  copy_peak_rss_central_mb: number;
  copy_peak_rss_ship1_mb: number;
  copy_resume_after_ready_s: number;
  copy_resume_after_kill_s: number;
}

const MB = 1024 * 1024;

function rssMb(pid: number | undefined): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Raw NATS on `address`: `bytes` published in chunks, then chunk-sized request/replies. */
async function rawThroughput(address: string, bytes: number) {
  const sub = await natsConnect({ servers: address, name: "bench-copy-sub" });
  const pub = await natsConnect({ servers: address, name: "bench-copy-pub" });
  try {
    const chunk = new Uint8Array(DEFAULT_CHUNK_BYTES).fill(0x61);
    const count = Math.ceil(bytes / chunk.length);
    let got = 0;
    const all = Promise.withResolvers<void>();
    sub.subscribe("bench.copy.raw", {
      callback: () => {
        if (++got === count) all.resolve();
      },
    });
    sub.subscribe("bench.copy.rr", { callback: (_e, m) => void m.respond(new Uint8Array(40)) });
    await sub.flush();
    let t0 = performance.now();
    for (let i = 0; i < count; i++) {
      pub.publish("bench.copy.raw", chunk);
      if (i % 64 === 63) await pub.flush(); // Keep the client's buffer bounded.
    }
    await all.promise;
    const publish = bytes / MB / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (let i = 0; i < count; i++) await pub.request("bench.copy.rr", chunk, { timeout: 10_000 });
    const rr = bytes / MB / ((performance.now() - t0) / 1000);
    return { publish, rr };
  } finally {
    await Promise.all([sub.close(), pub.close()]);
  }
}

/** The size of the temporary file of a copy arriving in `folder`, or -1. */
function arriving(folder: string): number {
  for (const e of Deno.readDirSync(folder)) {
    if (e.name.includes(".steward-copy-")) return Deno.statSync(join(folder, e.name)).size;
  }
  return -1;
}

/**
 * Runs the copy section on `address` (the agents' folders are their own temporary ones).
 *
 * @example
 * ```ts ignore
 * import { copySection } from "./copy_section.ts";
 * const figures = await copySection("127.0.0.1:4222", { bytes: 1024 ** 3, log: console.error });
 * ```
 */
export async function copySection(
  address: string,
  options: { bytes: number; log(line: string): void },
): Promise<CopyFigures> {
  const { bytes, log } = options;
  log(`copy: raw NATS throughput, ${bytes / MB} MiB in ${DEFAULT_CHUNK_BYTES / 1024} KiB messages`);
  const raw = await rawThroughput(address, bytes);
  const central = await Agent.start("central", { broker: address });
  const ship1 = await Agent.start("ship1", { broker: address });
  const steward = await connect({ socket: central.socket });
  try {
    const src = join(central.dir, "huge.bin");
    const file = await Deno.open(src, { write: true, create: true });
    await file.truncate(bytes);
    file.close();
    log(`copy: ${bytes / MB} MiB central → ship1`);
    const peaks = { central: 0, ship1: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peaks.central = Math.max(peaks.central, rssMb(central.pid));
        peaks.ship1 = Math.max(peaks.ship1, rssMb(ship1.pid));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const t0 = performance.now();
    const [done] = await steward.run(to("central").copy(src).to("ship1", "huge.bin").for(3600));
    const seconds = (performance.now() - t0) / 1000;
    sampling = false;
    await sampler;
    if (!done.ok) throw new Error(`copy failed: ${done.error}`);
    await Deno.remove(join(ship1.dir, "huge.bin"));

    log("copy: kill -9 of the destination a quarter in, then its restart");
    const resumed = steward.run(
      to("central").copy(src).to("ship1", "again.bin", { maxBytesPerSecond: 64 * MB }).for(3600),
    );
    while (arriving(ship1.dir) < bytes / 4) await new Promise((r) => setTimeout(r, 20));
    await ship1.kill9();
    const killedAt = performance.now();
    const size = arriving(ship1.dir);
    await ship1.restart();
    const readyAt = performance.now();
    while (arriving(ship1.dir) <= size) await new Promise((r) => setTimeout(r, 10));
    const growing = performance.now();
    const [again] = await resumed;
    if (!again.ok) throw new Error(`resumed copy failed: ${again.error}`);
    return {
      copy_1gb_s: seconds,
      copy_mb_s: bytes / MB / seconds,
      raw_publish_mb_s: raw.publish,
      raw_chunk_rr_mb_s: raw.rr,
      copy_peak_rss_central_mb: peaks.central,
      copy_peak_rss_ship1_mb: peaks.ship1,
      copy_resume_after_ready_s: (growing - readyAt) / 1000,
      copy_resume_after_kill_s: (growing - killedAt) / 1000,
    };
  } finally {
    steward.close();
    await Promise.all([central.destroy(), ship1.destroy()]);
  }
}
