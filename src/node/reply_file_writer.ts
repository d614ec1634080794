/**
 * Where a handler's reply file goes and how it is written: inside the data folder, under the
 * folder and name its message asks for, each append placed under its message's id; an append
 * of a store being recovered is made only if its placement shows it was not.
 *
 * @module
 */
import type { MessageEvents } from "../log/message_events.ts";
import { replyFilePath } from "../message/paths.ts";
import type { Message } from "../message/schema.ts";
import { MethodError } from "../methods/types.ts";
import { errorText } from "./error_text.ts";
import type { ReplyFiles } from "./reply_files.ts";

/** What a {@linkcode ReplyFileWriter} writes through. */
export interface ReplyFileWriterDeps {
  /** The data folder (-subscribersDataFolder) every reply file stays inside. */
  subscribersDataFolder: string;
  /** Writes and appends reply files, under the data folder's rules. */
  replyFiles: Pick<ReplyFiles, "write">;
  /** Ids of stores being finished after a restart interrupted them. */
  recovering: ReadonlySet<string>;
  /** The append of a store being finished, made only if it had not reached its file. */
  appendRecovered(message: Message, path: string, content: string): Promise<void>;
  /** Told of each file written (the log's "reply written" line). */
  events?: Pick<MessageEvents, "replyWritten">;
}

/**
 * Writes the reply files that messages name.
 *
 * @example
 * ```ts
 * import { ReplyFileWriter } from "./reply_file_writer.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * const written: string[] = [];
 * const writer = new ReplyFileWriter({
 *   subscribersDataFolder: "/srv/data",
 *   replyFiles: { write: (path) => Promise.resolve(void written.push(path)) },
 *   recovering: new Set(),
 *   appendRecovered: () => Promise.resolve(),
 * });
 * const m = testMessage({ directory: "cli", fromNode: "ship1", fileName: "out" });
 * console.assert(await writer.write(m, "hi\n", "append") === "/srv/data/cli/ship1/out");
 * ```
 */
export class ReplyFileWriter {
  #deps: ReplyFileWriterDeps;

  /** A writer over `deps`. */
  constructor(deps: ReplyFileWriterDeps) {
    this.#deps = deps;
  }

  /**
   * Writes (or appends) `content` to the reply file `message` names, inside the data folder.
   * Resolves to its path.
   *
   * @throws {UnsafePathError} (at once) when the path would leave the data folder.
   * @throws {MethodError} (rejects) when the file cannot be written, saying which.
   */
  write(message: Message, content: string, mode: "write" | "append"): Promise<string> {
    const path = replyFilePath(this.#deps.subscribersDataFolder, {
      directory: message.directory,
      node: message.fromNode,
      fileName: message.fileName || `${message.previousMessage?.method ?? message.method}.result`,
    });
    const written = this.#deps.recovering.has(message.id) && mode === "append"
      ? this.#deps.appendRecovered(message, path, content)
      : this.#deps.replyFiles.write(path, content, mode, message.id);
    return written.then(() => {
      this.#deps.events?.replyWritten(message, path);
      return path;
    }, (err) => {
      throw new MethodError(`Cannot write reply file "${path}": ${errorText(err)}`);
    });
  }
}
