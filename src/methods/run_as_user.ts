/**
 * The unprivileged user every command runs as (`-runAsUser`): who it is, and whether this agent
 * may switch to it.
 *
 * @module
 */

/** A user commands run as. */
export interface RunAsUser {
  /** The user's name (or its uid when the system knows no name for it). */
  name: string;
  uid: number;
  gid: number;
  /** The user's home folder (its `HOME`); `/` when the system names none. */
  home: string;
}

/** `-runAsUser` names no usable user, or the agent cannot switch to it; the agent does not start. */
export class RunAsUserError extends Error {
  override name = "RunAsUserError";
}

/** One line of `/etc/passwd`. */
interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 7 || line.startsWith("#")) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    entries.push({ name: f[0], uid, gid, home: f[5] || "/" });
  }
  return entries;
}

/** Where {@linkcode resolveRunAsUser} and {@linkcode checkCanSwitch} look (tests change them). */
export interface RunAsUserOptions {
  /** The user database (default `/etc/passwd`). */
  passwdFile?: string;
  /** The agent's own uid and gid (default `Deno.uid()`, `Deno.gid()`). */
  self?: { uid: number; gid: number };
  /** The agent's process status, for its capabilities (default `/proc/self/status`). */
  statusFile?: string;
}

/**
 * Resolves `-runAsUser`: a name or a uid looked up in `/etc/passwd`, or `uid:gid` (a user the
 * database need not know). Root is refused: running commands as root is what the agent does
 * without the flag, and the flag exists to take that away.
 *
 * @throws {RunAsUserError} when the user is unknown, or is root.
 * @example
 * ```ts
 * import { resolveRunAsUser } from "./run_as_user.ts";
 * const passwdFile = await Deno.makeTempFile();
 * await Deno.writeTextFile(passwdFile, "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
 * await resolveRunAsUser("nobody", { passwdFile });
 * // { name: "nobody", uid: 65534, gid: 65534, home: "/nonexistent" }
 * ```
 */
export async function resolveRunAsUser(
  spec: string,
  options: RunAsUserOptions = {},
): Promise<RunAsUser> {
  const passwdFile = options.passwdFile ?? "/etc/passwd";
  const what = `-runAsUser "${spec}"`;
  let entries: PasswdEntry[];
  try {
    entries = parsePasswd(await Deno.readTextFile(passwdFile));
  } catch (err) {
    throw new RunAsUserError(`${what}: cannot read ${passwdFile}: ${(err as Error).message}`);
  }
  let user: RunAsUser | undefined;
  const ids = /^(\d+)(?::(\d+))?$/.exec(spec);
  if (ids) {
    const uid = Number(ids[1]);
    const known = entries.find((e) => e.uid === uid);
    if (ids[2] !== undefined) {
      user = {
        name: known?.name ?? String(uid),
        uid,
        gid: Number(ids[2]),
        home: known?.home ?? "/",
      };
    } else if (known) user = { ...known };
    else {
      throw new RunAsUserError(
        `${what}: no user with uid ${uid} in ${passwdFile}; give its group too, as uid:gid`,
      );
    }
  } else {
    const known = entries.find((e) => e.name === spec);
    if (!known) throw new RunAsUserError(`${what}: no such user in ${passwdFile}`);
    user = { ...known };
  }
  if (user.uid === 0 || user.gid === 0) {
    throw new RunAsUserError(
      `${what}: is root (uid or gid 0); commands run as the agent's own user without ` +
        "-runAsUser, and the flag is for an unprivileged user",
    );
  }
  return user;
}

// Linux capability bits (linux/capability.h).
const CAP_SETGID = 6n;
const CAP_SETUID = 7n;

/**
 * Checks that this process may start commands as `user`: it is root, it has CAP_SETUID and
 * CAP_SETGID, or it already is that user and group. Checked at start, so that a misconfigured
 * agent says so once instead of failing every command.
 *
 * @throws {RunAsUserError} saying what the agent runs as and what it would need.
 * @example
 * ```ts
 * import { checkCanSwitch } from "./run_as_user.ts";
 * const user = { name: "nobody", uid: 65534, gid: 65534, home: "/" };
 * await checkCanSwitch(user, { self: { uid: 0, gid: 0 } }); // root may
 * ```
 */
export async function checkCanSwitch(
  user: RunAsUser,
  options: RunAsUserOptions = {},
): Promise<void> {
  const self = options.self ?? { uid: Deno.uid() ?? -1, gid: Deno.gid() ?? -1 };
  if (self.uid === 0) return;
  if (self.uid === user.uid && self.gid === user.gid) return;
  const statusFile = options.statusFile ?? "/proc/self/status";
  let effective = 0n;
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(await Deno.readTextFile(statusFile))?.[1];
    effective = hex ? BigInt(`0x${hex}`) : 0n;
  } catch {
    // No capabilities known: only root could switch, and the agent is not root.
  }
  const has = (bit: bigint) => ((effective >> bit) & 1n) === 1n;
  if (has(CAP_SETUID) && has(CAP_SETGID)) return;
  throw new RunAsUserError(
    `-runAsUser "${user.name}": the agent runs as uid ${self.uid}, not root, and lacks ` +
      "CAP_SETUID and CAP_SETGID, so it cannot start commands as another user; start it as " +
      "root (or with those capabilities), or leave -runAsUser empty",
  );
}
