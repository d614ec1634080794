/**
 * The second half of a copy request: where the file goes (`to("ship1").copy(path).to(…)`).
 *
 * @module
 */
import { nodeName } from "../message/schema.ts";
import { InvalidMessageError } from "./errors.ts";
import type { Request } from "./request.ts";

/**
 * How a copy is sent; left out, the source node's defaults hold.
 *
 * @example
 * ```ts
 * import { type CopyOptions, to } from "../../mod.ts";
 * const thin: CopyOptions = { maxBytesPerSecond: 64 * 1024, chunkBytes: 32 * 1024 };
 * to("ship1").copy("/var/log/app.log").to("central", "/srv/logs/ship1-app.log", thin);
 * ```
 */
export interface CopyOptions {
  /** Bytes per chunk (default 512 KiB, at most the broker's max payload and -maxMessageSize). */
  readonly chunkBytes?: number;
  /** Bandwidth cap in bytes per second (default the source's -copyMaxBytesPerSecond). */
  readonly maxBytesPerSecond?: number;
  /** Octal mode of the folders made for the file (`"0750"`); none are made when left out. */
  readonly folderMode?: string;
  /** Gives the file the owner (uid:gid) it has on the source (the destination must be root). */
  readonly keepOwner?: boolean;
}

/**
 * A file on the source node(s), waiting to be told where it goes.
 *
 * @example
 * ```ts
 * import { to, toNodes } from "../../mod.ts";
 * to("ship1").copy("/var/log/app.log").to("central", "logs/ship1-app.log");
 * // Each ship sends its own log; {node} is the sending node's name.
 * toNodes(["ship1", "ship2"]).copy("/var/log/app.log").to("central", "logs/{node}-app.log");
 * ```
 */
export class CopySource {
  readonly #path: string;
  readonly #make: (methodArgs: string[]) => Request<true>;

  /** A copy of `path`; `make` builds the `REQCopySrc` request from its `methodArgs`. */
  constructor(path: string, make: (methodArgs: string[]) => Request<true>) {
    if (typeof path !== "string" || path === "") {
      throw new InvalidMessageError("copy: give the path of the file to copy");
    }
    this.#path = path;
    this.#make = make;
    Object.freeze(this);
  }

  /**
   * Sends the file to `node` as `path` (`REQCopySrc`): `run()` resolves once it is in place
   * there with its SHA-256; `stream()` yields its progress (JSON lines: bytes, chunks, rate).
   * Bound the whole copy with `.for(seconds)`.
   *
   * @throws {InvalidMessageError} on a bad node name, an empty path or a bad option.
   */
  to(node: string, path: string, options: CopyOptions = {}): Request<true> {
    const r = nodeName.safeParse(node);
    if (!r.success) {
      throw new InvalidMessageError(
        `copy: invalid node name ${JSON.stringify(node)}: ${r.error.issues[0].message}`,
      );
    }
    if (typeof path !== "string" || path === "") {
      throw new InvalidMessageError("copy: give the destination path");
    }
    const count = (n: number | undefined, what: string) => {
      if (n === undefined) return "";
      if (!Number.isInteger(n) || n < 1) {
        throw new InvalidMessageError(`copy: ${what} must be a positive whole number`);
      }
      return `${n}`;
    };
    const folderMode = options.folderMode ?? "";
    if (folderMode !== "" && !/^[0-7]{3,4}$/.test(folderMode)) {
      throw new InvalidMessageError(`copy: folderMode ${folderMode} must be octal, e.g. "0750"`);
    }
    return this.#make([
      this.#path,
      node,
      path,
      count(options.chunkBytes, "chunkBytes"),
      count(options.maxBytesPerSecond, "maxBytesPerSecond"),
      folderMode,
      options.keepOwner ? "owner" : "",
    ]);
  }
}
