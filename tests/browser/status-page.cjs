// Drives headless Chromium (Debian's /usr/bin/chromium) through the status
// page for tests/status_page.rs, with playwright-core installed by the test
// into tmp/browser (FEDIGUARD_BROWSER_MODULES names its node_modules).
//
//   node status-page.cjs <page url> <screenshot.png>
//
// Talks with the test in lines: prints "loaded <json>" once the page is up,
// waits for "traffic" on stdin (the test has made requests meanwhile),
// waits for the page to show them, takes the screenshot, loads the page
// again with JavaScript off, and prints "result <json>". Exits 1 on error.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const readline = require("readline");

const modules = process.env.FEDIGUARD_BROWSER_MODULES;
const { chromium } = require(path.join(modules, "playwright-core"));

const [url, shot] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin });
const waiting = [];
const pending = [];
lines.on("line", (l) => {
  const w = waiting.shift();
  if (w) w(l.trim());
  else pending.push(l.trim());
});
const nextLine = () =>
  new Promise((resolve) => (pending.length ? resolve(pending.shift()) : waiting.push(resolve)));

function say(what, value) {
  process.stdout.write(`${what} ${JSON.stringify(value)}\n`);
}

// What the page shows, read in the page.
function readPage() {
  const text = (id) => (document.getElementById(id) || {}).textContent || "";
  const rows = Array.from(document.querySelectorAll("#apps-body tr"));
  return {
    reads: Number(document.body.dataset.reads || 0),
    denied: text("n-denied"),
    live: text("live"),
    apps: rows.map((r) => {
      const b = r.querySelector(".app b");
      return {
        name: b ? b.textContent : "",
        flagged: r.classList.contains("flag"),
        denied: (r.querySelector(".denied") || {}).textContent || "",
      };
    }),
    polylines: document.querySelectorAll("#chart polyline").length,
    imgs: document.querySelectorAll("img").length,
    scripts: document.querySelectorAll("script").length,
    agents: Array.from(document.querySelectorAll("#agents-body tr")).map((r) => r.dataset.key),
    limitRows: document.querySelectorAll("#limits-body tr[data-key]").length,
    backendCalls: text("v-backend-calls"),
    refusedBudget: text("v-refused-budget"),
  };
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "fediguard-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.FEDIGUARD_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    colorScheme: "light",
  });
  const dialogs = [];
  const consoleErrors = [];
  try {
    await context.addInitScript(() => {
      window.__violations = [];
      document.addEventListener("securitypolicyviolation", (e) =>
        window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
      // An alert that ran would be recorded even if the dialog event were missed.
      window.__alerts = 0;
    });
    const page = context.pages()[0] || (await context.newPage());
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(String(e)));

    const response = await page.goto(url, { waitUntil: "load" });
    const headers = response.headers();
    await page.waitForFunction(() => Number(document.body.dataset.reads || 0) >= 1, null, {
      timeout: 15000,
    });
    const first = await page.evaluate(readPage);
    say("loaded", first);

    const go = await nextLine();
    if (go !== "traffic") throw new Error(`expected "traffic", got "${go}"`);
    // The page shows the new numbers, and has read them several times
    // since (the chart needs two readings with a change between them; a
    // few more make it worth a look).
    const readsAtTraffic = (await page.evaluate(readPage)).reads;
    await page.waitForFunction(
      ([before, reads]) =>
        document.getElementById("n-denied").textContent !== before &&
        Number(document.body.dataset.reads) >= reads + 5 &&
        document.querySelectorAll("#chart polyline").length > 0,
      [first.denied, readsAtTraffic],
      { timeout: 20000 },
    );
    const after = await page.evaluate(readPage);
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    const violations = await page.evaluate(() => window.__violations);

    // JavaScript off: the server's own rendering is the whole page.
    const profile2 = fs.mkdtempSync(path.join(os.tmpdir(), "fediguard-chromium-nojs-"));
    const off = await chromium.launchPersistentContext(profile2, {
      executablePath: process.env.FEDIGUARD_CHROMIUM || "/usr/bin/chromium",
      headless: true,
      javaScriptEnabled: false,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
      viewport: { width: 1280, height: 900 },
    });
    let staticPage;
    try {
      const p = off.pages()[0] || (await off.newPage());
      await p.goto(url.replace(/[?&]refresh=\d+/, ""), { waitUntil: "load" });
      staticPage = await p.evaluate(() => ({
        live: document.getElementById("live").textContent,
        apps: Array.from(document.querySelectorAll("#apps-body .app b")).map((b) => b.textContent),
        denied: document.getElementById("n-denied").textContent,
        imgs: document.querySelectorAll("img").length,
      }));
    } finally {
      await off.close();
      fs.rmSync(profile2, { recursive: true, force: true });
    }
    say("result", { first, after, headers, dialogs, consoleErrors, violations, staticPage });
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
