/**
 * The operator's web page end to end (issue 19): a real central with `-webListener`, a node
 * whose key waits for approval, nats-server, and a real headless Chromium that logs in, sees
 * the node and its hello, approves its key, sends it a command and sees the output come back,
 * sees an error arrive in the live error log and the messages' states, and leaves screenshots
 * (desktop and phone width) under `tmp/`. Skipped, saying why, where no Chromium can be had.
 */
import { join } from "node:path";
import { assertEquals, assertMatch } from "../assert.ts";
import { Agent, Broker, freePort, readOr, ROOT, waitFor } from "../harness.ts";
import { logIn, openBrowser } from "../browser.ts";
import { keyFingerprint } from "../../src/security/fingerprint.ts";
import { PUBLIC_KEY_FILE } from "../../src/security/node_keys.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** The text of `selector` in the page, or "" when it is not there. */
function textOf(selector: string): string {
  return `document.querySelector(${JSON.stringify(selector)})?.textContent ?? ""`;
}

Deno.test(
  "web page: log in, see the fleet, approve a key, run a command, watch errors live",
  opts,
  async () => {
    const browser = await openBrowser();
    if (!browser) return; // openBrowser said why.
    const broker = await Broker.start();
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    // Fresh keys: ship1's key is pending until the operator approves it on the page.
    const fresh = { broker: broker.address, provision: false };
    const central = await Agent.start("central", {
      ...fresh,
      flags: ["-startPubREQHello=1", `-webListener=127.0.0.1:${port}`],
    });
    const ship1 = await Agent.start("ship1", {
      ...fresh,
      flags: ["-startPubREQHello=1", "-trustCentralOnFirstUse=true"],
    });
    try {
      assertMatch(central.output, new RegExp(`web page at ${base}/`));
      await waitFor(
        () => central.output.includes("key of ship1 is pending approval"),
        15_000,
        "ship1's key pending",
      );
      const token = (await readOr(join(central.dir, "etc", "listener_token"))).trim();
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await logIn(page, base, token);

      // The fleet: ship1 with its hello and its pending key, named by its fingerprint.
      const row = 'tr[data-node="ship1"]';
      await page.waitForSelector(`${row} button.approve`, { timeout: 15_000 });
      const fingerprint = await keyFingerprint(
        await readOr(join(ship1.dir, "etc", PUBLIC_KEY_FILE)),
      );
      assertEquals(await page.evaluate(textOf(`${row} code`)), fingerprint);
      assertEquals(await page.evaluate(textOf(`${row} .key`)), "pending");
      // A node whose key is not approved changes nothing on central: no hello is recorded.
      assertEquals(await page.evaluate(textOf(`${row} td.hello`)), "never");

      // Approve it: the page sends what -approveKey sends, and the row turns approved.
      await page.click(`${row} button.approve`);
      await page.waitForFunction(`(${textOf(`${row} .key`)}) === "approved"`, {
        timeout: 20_000,
      });
      assertMatch(await page.evaluate(textOf("#approve-status")) as string, /approved/);
      assertMatch(await readOr(central.file("keys", "central", "keys.log")), /ship1/);
      await waitFor(() => ship1.output.includes("pinned central's key"), 15_000, "pinned");
      // Its next hello is recorded, and the page shows it (refreshed every 5 s).
      await page.waitForFunction(`(${textOf(`${row} td.hello`)}) !== "never"`, {
        timeout: 20_000,
      });
      assertMatch(await page.evaluate(textOf(`${row} td.age`)) as string, /^\d+ s$/);

      // A command to ship1: its output appears in the page.
      await page.click('#targets input[value="ship1"]');
      await page.type("#command", "echo hello from the web page");
      await page.click("#send-button");
      await page.waitForFunction(
        `(${textOf('#output div[data-node="ship1"] pre')}).includes("hello from the web page")`,
        { timeout: 30_000 },
      );
      await page.waitForFunction(`(${textOf("#send-status")}) === "done"`, { timeout: 15_000 });

      // A command that fails: its error reaches central's error log and the page, live.
      await page.click("#command", { count: 3 });
      await page.keyboard.press("Backspace");
      await page.type("#command", "ls /no-such-folder-for-the-web-test");
      await page.click("#send-button");
      await page.waitForFunction(
        `[...document.querySelectorAll("#errors li")].some((li) =>
          li.textContent.includes("no-such-folder-for-the-web-test"))`,
        { timeout: 30_000 },
      );

      // The messages: the echo replied, the ls failed.
      await page.select("#state-filter", "replied");
      await page.waitForFunction(
        `[...document.querySelectorAll("#messages-body tr")].some((tr) =>
          tr.textContent.includes("REQCliCommand") && tr.textContent.includes("ship1"))`,
        { timeout: 15_000 },
      );
      await page.select("#state-filter", "failed");
      await page.waitForFunction(
        `[...document.querySelectorAll("#messages-body tr")].some((tr) =>
          tr.textContent.includes("no-such-folder-for-the-web-test") ||
          tr.textContent.includes("exited with code"))`,
        { timeout: 15_000 },
      );
      // Unfiltered: the approval, the trusted set sent to ship1 and both commands.
      await page.select("#state-filter", "");
      await page.waitForFunction(`document.querySelectorAll("#messages-body tr").length >= 3`, {
        timeout: 15_000,
      });

      const shots = join(ROOT, "tmp");
      await Deno.mkdir(shots, { recursive: true });
      const desktop = join(shots, "web_page.png");
      await page.screenshot({ path: desktop as `${string}.png`, fullPage: true });
      await page.setViewport({ width: 390, height: 844, isMobile: true });
      const phone = join(shots, "web_page_phone.png");
      await page.screenshot({ path: phone as `${string}.png`, fullPage: true });
      console.log(`screenshots: ${desktop} ${phone}`);
    } finally {
      await browser.close();
      await Promise.all([central.destroy(), ship1.destroy()]);
      await broker.stop();
    }
  },
);
