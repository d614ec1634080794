/**
 * The agent's secret files and folders (signing key, nkey seed, TLS private key, listener token,
 * the whole CONFIG_FOLDER and databaseFolder), and whether a path or a command names them.
 *
 * @module
 */
import { basename, isAbsolute, resolve } from "node:path";
import type { Config } from "../config.ts";
import { LISTENER_TOKEN_FILE } from "../input/listener_token.ts";
import { JOURNAL_KEY_FILE } from "../store/journal_key.ts";
import { PRIVATE_KEY_FILE } from "./node_keys.ts";

/** File names that are secret wherever they are: the agent's signing key, tokens and keys. */
const SECRET_NAMES = [PRIVATE_KEY_FILE, LISTENER_TOKEN_FILE, JOURNAL_KEY_FILE];

/** Where a command's words are split: blanks, shell punctuation, `=`, `:` and `@` of options. */
const WORD_BREAKS = /[\s;|&<>()`'"=:,{}$\\@]+/;

/** What {@linkcode SecretPaths.of} needs to know. */
export interface SecretPathsInput {
  config: Pick<Config, "databaseFolder" | "nkeySeedFile" | "keyFile">;
  /** The agent's CONFIG_FOLDER. */
  configFolder: string;
  /** The agent's working folder, against which relative paths resolve (default: `Deno.cwd()`). */
  cwd?: string;
}

/**
 * The agent's secrets, resolved once at start. A path names a secret when, after `.`/`..` and
 * (when it exists and may be read) symbolic links are resolved, it is a secret file or lies in
 * a secret folder, or its file name is one only the agent's secrets have.
 *
 * @example
 * ```ts
 * import { SecretPaths } from "./secret_paths.ts";
 * const secrets = SecretPaths.of({
 *   config: { databaseFolder: "/var/lib/steward", nkeySeedFile: "/etc/nats/ship1.nk", keyFile: "" },
 *   configFolder: "/etc/steward",
 *   cwd: "/srv",
 * });
 * secrets.named("/etc/steward/../steward/steward_ed25519.key"); // "/etc/steward"
 * secrets.named("/var/log/syslog"); // undefined
 * secrets.inCommand(["bash", "-c", "cat /etc/nats/ship1.nk"]);
 * // { word: "/etc/nats/ship1.nk", secret: "/etc/nats/ship1.nk" }
 * ```
 */
export class SecretPaths {
  readonly #cwd: string;
  readonly #folders: string[];
  readonly #files: string[];
  readonly #names: Set<string>;

  private constructor(cwd: string, folders: string[], files: string[]) {
    this.#cwd = cwd;
    this.#folders = folders;
    this.#files = files;
    this.#names = new Set([...SECRET_NAMES, ...files.map((f) => basename(f))]);
  }

  /** Resolves the secrets of an agent's configuration. */
  static of(input: SecretPathsInput): SecretPaths {
    const cwd = input.cwd ?? Deno.cwd();
    const abs = (p: string) => isAbsolute(p) ? resolve(p) : resolve(cwd, p);
    // Each secret both as configured and as its real path (a config folder behind a link).
    const both = (p: string) => [...new Set([abs(p), realPath(abs(p))])];
    const folders = [input.configFolder, input.config.databaseFolder].filter((p) => p !== "")
      .flatMap(both);
    const files = [input.config.nkeySeedFile, input.config.keyFile].filter((p) => p !== "")
      .flatMap(both);
    return new SecretPaths(cwd, folders, files);
  }

  /** The secret file or folder `path` names, if it names one. */
  named(path: string): string | undefined {
    return this.#namedByPath(path) ?? this.#namedByName(path);
  }

  #namedByName(path: string): string | undefined {
    return this.#names.has(basename(path)) ? basename(path) : undefined;
  }

  #namedByPath(path: string): string | undefined {
    if (path === "") return undefined;
    const lexical = isAbsolute(path) ? resolve(path) : resolve(this.#cwd, path);
    for (const p of new Set([lexical, realPath(lexical)])) {
      const file = this.#files.find((f) => p === f);
      if (file) return file;
      const folder = this.#folders.find((f) => p === f || p.startsWith(f === "/" ? f : f + "/"));
      if (folder) return folder;
    }
    return undefined;
  }

  /**
   * The first word of `argv` naming a secret: each argument whole, and each word of it (split at
   * blanks and shell punctuation, so a `bash -c` script's paths count). Best effort: a script can
   * always build a path this cannot see (variables, globs, encodings).
   */
  inCommand(argv: readonly string[]): { word: string; secret: string } | undefined {
    const words = new Set(argv.slice(1).flatMap((arg) => [arg, ...arg.split(WORD_BREAKS)]));
    // Where a word is a secret's path, say so rather than only its file name.
    for (const by of [this.#namedByPath, this.#namedByName]) {
      for (const word of words) {
        const secret = by.call(this, word);
        if (secret) return { word, secret };
      }
    }
    return undefined;
  }
}

/** The real path of `path` when it exists and may be read; else `path` itself. */
function realPath(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path; // Missing, or outside the sandbox: the lexical path is all there is.
  }
}
