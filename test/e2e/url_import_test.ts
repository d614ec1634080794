import { join, normalize, sep } from "node:path";
import { assertEquals, assertMatch } from "../assert.ts";
import { Fleet, readOr, ROOT, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Serves the repository's files read-only over HTTP on loopback, as a web host would. */
function serveRepository(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const file = normalize(join(ROOT, decodeURIComponent(new URL(req.url).pathname)));
    if (!file.startsWith(ROOT.endsWith(sep) ? ROOT : ROOT + sep)) {
      return new Response("not found\n", { status: 404 });
    }
    try {
      const body = await Deno.readFile(file);
      return new Response(body, { headers: { "content-type": "application/typescript" } });
    } catch {
      return new Response("not found\n", { status: 404 });
    }
  });
}

Deno.test(
  "a playbook in an empty folder imports mod.ts from a URL and gets ship1's output through central",
  opts,
  async () => {
    const server = serveRepository();
    const fleet = await Fleet.start(["central", "ship1"]);
    const dir = await Deno.makeTempDir({ prefix: "steward-url-playbook-" });
    try {
      const central = fleet.get("central");
      const url = `http://127.0.0.1:${server.addr.port}/mod.ts`;
      // `tree` is what the issue names; where it is not installed, a command that exists.
      const hasTree = (await new Deno.Command("bash", { args: ["-c", "command -v tree"] })
        .output()).success;
      const command = hasTree ? "tree" : "ls -R";
      await Deno.writeTextFile(
        join(dir, "playbook.ts"),
        [
          `import { connect, to, toFile } from "${url}";`,
          ``,
          `const steward = await connect({ socket: Deno.args[0] });`,
          `const ids = await steward.send(to("ship1").cli(${
            JSON.stringify(command)
          }).reply(toFile("out")));`,
          `console.log(JSON.stringify(ids));`,
          `steward.close();`,
          ``,
        ].join("\n"),
      );
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["playbook.ts"]);
      const socket = central.socket;
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          `--allow-import=127.0.0.1:${server.addr.port}`,
          // Deno asks for all three to connect to a unix socket.
          `--allow-net=unix:${socket}`,
          `--allow-read=${socket}`,
          `--allow-write=${socket}`,
          "playbook.ts",
          socket,
        ],
        cwd: dir,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, `playbook exited ${out.code}:\n${stdout}\n${stderr}`);
      const ids: string[] = JSON.parse(stdout);
      assertEquals(ids.length, 1);
      const text = await waitFor(() => readOr(central.file("", "ship1", "out")), 15_000, "out");
      // Run in ship1's working folder, which holds its etc/, tmp/ and var/ folders.
      assertMatch(text, hasTree ? /etc\n/ : /^\.:\n(.+\n)*etc\n/);
    } finally {
      await fleet.stop();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
