/**
 * A real headless Chromium for the web page's tests: Debian's `chromium`, installed with apt
 * when it is missing and the tests run as root (as CI does), driven by puppeteer-core. Where
 * none can be had, {@linkcode openBrowser} says so and the test skips its browser part.
 *
 * @module
 */
import puppeteer, { type Browser, type Page } from "npm:puppeteer-core@25.16.0";

/** Where Debian's package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * The path of Chromium, installing Debian's package first when it is missing and this process
 * is root with apt-get; undefined (with a line saying why) where it cannot be had.
 *
 * @throws {Error} when apt-get was run and failed.
 */
export async function ensureChromium(): Promise<string | undefined> {
  if (await exists(CHROMIUM)) return CHROMIUM;
  if (Deno.uid() !== 0 || !(await exists("/usr/bin/apt-get"))) {
    console.warn(
      `SKIPPED (browser part): no ${CHROMIUM}, and not root with apt-get to install it; ` +
        "run `sudo apt-get install chromium` to run it",
    );
    return undefined;
  }
  console.warn("installing Debian's chromium for the web page tests (apt-get)…");
  // Waits for another apt run's lock rather than failing on it.
  const apt = (args: string[]) =>
    new Deno.Command("apt-get", {
      args: ["-o", "DPkg::Lock::Timeout=600", ...args],
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "null",
      stderr: "piped",
    }).output();
  let out = await apt(["install", "-y", "-qq", "chromium"]);
  if (!out.success) {
    await apt(["update", "-qq"]);
    out = await apt(["install", "-y", "-qq", "chromium"]);
  }
  if (!out.success || !(await exists(CHROMIUM))) {
    throw new Error(`apt-get install chromium failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return CHROMIUM;
}

/** A headless Chromium, or undefined where none can be had (see {@linkcode ensureChromium}). */
export async function openBrowser(): Promise<Browser | undefined> {
  const executablePath = await ensureChromium();
  if (!executablePath) return undefined;
  return await puppeteer.launch({
    executablePath,
    headless: true,
    // Chromium's own sandbox refuses to run as root (CI).
    args: Deno.uid() === 0 ? ["--no-sandbox"] : [],
  });
}

/** Opens the web page at `base` and logs in with `token` through its form. */
export async function logIn(page: Page, base: string, token: string): Promise<void> {
  // What the page's script says (errors, CSP refusals) is kept for a failure's message.
  const said: string[] = [];
  page.on("console", (m) => said.push(`console ${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => said.push(`page error: ${e}`));
  await page.goto(`${base}/`);
  await page.type("#token", token);
  await Promise.all([page.waitForNavigation(), page.click("#login")]);
  try {
    await page.waitForSelector("#fleet-body tr", { timeout: 15_000 });
  } catch (err) {
    throw new Error(
      `the page shows no fleet after the login:\n${said.join("\n")}\n` +
        `${(await page.content()).slice(0, 2000)}`,
      { cause: err },
    );
  }
}
