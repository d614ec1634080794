/**
 * `--exposeDataFolder host:port`: the data folder served read-only over HTTP, with directory
 * listings, and nothing outside it.
 *
 * @module
 */
import { relative, resolve, sep } from "node:path";
import { bindHttpServer, type BoundHttpServer } from "./bound_http_server.ts";

/** A bound data-folder server, served until the signal given to `run` aborts. */
export type DataFolderServer = BoundHttpServer;

/**
 * Binds `hostAndPort` (`host:port`, an empty host meaning 127.0.0.1) and serves `folder`
 * read-only: GET or HEAD of a directory gives an HTML listing, of a file its bytes. Paths with
 * `..` (also percent-encoded), NUL or backslashes are refused, and every path is resolved with
 * its symlinks and must stay inside the folder, so a link pointing outside is not followed.
 *
 * @throws {Error} when the address cannot be bound, naming the flag and the address.
 * @example
 * ```ts
 * import { serveDataFolder } from "./expose_data_folder.ts";
 * const folder = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${folder}/hello.txt`, "hi\n");
 * const server = serveDataFolder(folder, "127.0.0.1:0");
 * const stop = new AbortController();
 * const running = server.run(stop.signal);
 * const res = await fetch(`http://127.0.0.1:${server.addr.port}/hello.txt`);
 * console.assert((await res.text()) === "hi\n");
 * stop.abort();
 * await running;
 * ```
 */
export function serveDataFolder(folder: string, hostAndPort: string): DataFolderServer {
  let root: Promise<string> | undefined;
  return bindHttpServer("-exposeDataFolder", hostAndPort, (req) => {
    // Resolved once, lazily: the folder may be a symlink itself.
    root ??= Deno.realPath(folder);
    return handle(req, root);
  });
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };

async function handle(req: Request, rootPromise: Promise<string>): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("read-only: use GET\n", { status: 405, headers: TEXT });
  }
  const root = await rootPromise;
  const rawPath = new URL(req.url).pathname;
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return new Response("bad path encoding\n", { status: 400, headers: TEXT });
  }
  if (path.includes("\0") || path.includes("\\") || path.split("/").includes("..")) {
    return new Response("path not allowed\n", { status: 403, headers: TEXT });
  }
  const wanted = resolve(root, "." + path);
  let real: string;
  try {
    real = await Deno.realPath(wanted);
  } catch {
    return new Response("not found\n", { status: 404, headers: TEXT });
  }
  if (!inside(root, real)) {
    // A symlink leading out of the folder: as if it were not there.
    return new Response("not found\n", { status: 404, headers: TEXT });
  }
  const info = await Deno.stat(real);
  if (info.isDirectory) {
    if (!rawPath.endsWith("/")) {
      return new Response(null, { status: 301, headers: { location: rawPath + "/" } });
    }
    const body = await listing(real, path, root);
    return new Response(req.method === "HEAD" ? null : body, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": "default-src 'none'",
      },
    });
  }
  if (!info.isFile) return new Response("not a file\n", { status: 403, headers: TEXT });
  const headers = {
    "content-type": contentType(real),
    "content-length": String(info.size),
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'",
  };
  if (req.method === "HEAD") return new Response(null, { headers });
  const file = await Deno.open(real, { read: true });
  return new Response(file.readable, { headers });
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep) && rel !== "..");
}

async function listing(dir: string, shown: string, root: string): Promise<string> {
  const entries: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isSymlink) {
      // Listed only when it stays inside the folder.
      try {
        if (!inside(root, await Deno.realPath(`${dir}/${e.name}`))) continue;
      } catch {
        continue;
      }
    }
    entries.push(e.isDirectory ? `${e.name}/` : e.name);
  }
  entries.sort();
  const items = entries.map((name) =>
    `<li><a href="${encodeURIComponent(name.replace(/\/$/, ""))}${name.endsWith("/") ? "/" : ""}">${
      escapeHtml(name)
    }</a></li>`
  );
  const title = escapeHtml(shown);
  return `<!doctype html>\n<meta charset="utf-8">\n<title>${title}</title>\n<h1>${title}</h1>\n` +
    `<ul>\n${shown === "/" ? "" : '<li><a href="../">../</a></li>\n'}${items.join("\n")}\n</ul>\n`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function contentType(path: string): string {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  const types: Record<string, string> = {
    // Reply files hold what remote nodes sent (a fetched page): never render it as HTML.
    html: "text/plain; charset=utf-8",
    json: "application/json",
    log: "text/plain; charset=utf-8",
    txt: "text/plain; charset=utf-8",
    result: "text/plain; charset=utf-8",
  };
  return types[ext] ?? "application/octet-stream";
}
