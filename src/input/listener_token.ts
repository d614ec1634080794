/**
 * The listener token: the credential a client of a network listener (`-tcpListener`,
 * `-httpListener`) must present. The unix socket needs none (its 0600 mode is its credential);
 * a network port is open to every local user and, through a browser, to web pages.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { join } from "node:path";

/** Name of the token file in the agent's `CONFIG_FOLDER`. */
export const LISTENER_TOKEN_FILE = "listener_token";

/** Random bytes in a new token (base64url: 43 characters). */
const TOKEN_BYTES = 32;

/** A token read from a file is trimmed; one that is too short was not made by the agent. */
const MIN_TOKEN_LENGTH = 32;

/** The listener token could not be created or read, or its file is not private. */
export class ListenerTokenError extends Error {
  override name = "ListenerTokenError";
}

/**
 * The path of the listener token in `configFolder`.
 *
 * @example
 * ```ts
 * import { listenerTokenPath } from "./listener_token.ts";
 * listenerTokenPath("./etc"); // "etc/listener_token"
 * ```
 */
export function listenerTokenPath(configFolder: string): string {
  return join(configFolder, LISTENER_TOKEN_FILE);
}

function digest(value: string): Uint8Array {
  return createHash("sha256").update(value).digest();
}

/**
 * A listener token held by an agent: checks what a client presents without revealing, by
 * timing, how much of it matched. The value itself never leaves this object.
 *
 * @example
 * ```ts
 * import { ListenerToken } from "./listener_token.ts";
 * const dir = await Deno.makeTempDir();
 * const token = await ListenerToken.load(dir);
 * const value = (await Deno.readTextFile(token.path)).trim();
 * console.assert(token.matches(value) && !token.matches("guess"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ListenerToken {
  /** The file the token is kept in, to be handed to clients. */
  readonly path: string;
  readonly #digest: Uint8Array;

  private constructor(path: string, value: string) {
    this.path = path;
    this.#digest = digest(value);
  }

  /**
   * Reads the token in `configFolder`, creating it (random, mode 0600) on first use.
   *
   * @throws {ListenerTokenError} when the file cannot be created or read, is readable or
   * writable by others, or holds no valid token.
   */
  static async load(configFolder: string): Promise<ListenerToken> {
    const path = listenerTokenPath(configFolder);
    try {
      await Deno.mkdir(configFolder, { recursive: true, mode: 0o700 });
      const value = new Uint8Array(TOKEN_BYTES);
      crypto.getRandomValues(value);
      // createNew: never overwrite a token already handed to clients (or a racing start's).
      await Deno.writeTextFile(
        path,
        value.toBase64({ alphabet: "base64url", omitPadding: true }) + "\n",
        {
          createNew: true,
          mode: 0o600,
        },
      );
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) {
        throw new ListenerTokenError(
          `Cannot create the listener token ${path}: ${(err as Error).message}`,
        );
      }
    }
    let text: string;
    try {
      const info = await Deno.stat(path);
      if (info.mode !== null && (info.mode & 0o077) !== 0) {
        throw new ListenerTokenError(
          `The listener token ${path} is accessible to other users (mode ` +
            `${(info.mode & 0o777).toString(8)}): run chmod 600 on it, or remove it for a new one`,
        );
      }
      text = await Deno.readTextFile(path);
    } catch (err) {
      if (err instanceof ListenerTokenError) throw err;
      throw new ListenerTokenError(
        `Cannot read the listener token ${path}: ${(err as Error).message}`,
      );
    }
    const value = text.trim();
    if (value.length < MIN_TOKEN_LENGTH || /\s/.test(value)) {
      throw new ListenerTokenError(
        `The listener token ${path} is not valid (at least ${MIN_TOKEN_LENGTH} characters, ` +
          `no spaces): remove it and the agent makes a new one`,
      );
    }
    return new ListenerToken(path, value);
  }

  /** True when `given` is the token; compared in constant time. */
  matches(given: string | undefined | null): boolean {
    if (typeof given !== "string") return false;
    return timingSafeEqual(digest(given), this.#digest);
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined.
 *
 * @example
 * ```ts
 * import { bearerToken } from "./listener_token.ts";
 * bearerToken("Bearer abc"); // "abc"
 * bearerToken("Basic abc"); // undefined
 * ```
 */
export function bearerToken(header: string | null): string | undefined {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? "");
  return m ? m[1] : undefined;
}
