// Opens the service's GraphiQL page in headless Debian Chromium (driven by playwright-core; no
// browser download), runs the example query with the press of the run button, and reports what
// the page showed and every host the browser tried to reach.
// Usage: node tests/js/graphiql_browser.mjs http://127.0.0.1:PORT/graphql
// Prints one JSON object: {title, shown, answer, headersEditor, requests, consoleErrors}.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const url = process.argv[2];
const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
if (!url) {
  console.error("usage: node graphiql_browser.mjs <graphiql url>");
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), "graphiql-chromium-"));
// Without the background-networking flags Chromium phones home on start; the network here is
// closed, and the test asserts on every request, so those must not exist.
// A fresh profile directory every run (playwright passes it as --user-data-dir).
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const requests = [];
const consoleErrors = [];
let output = {};
try {
  context.on("request", (request) => requests.push(request.url()));
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForSelector(".graphiql-execute-button", { timeout: 20000 });
  // The editors fill in asynchronously; wait for the example query before running it.
  await page.waitForFunction(
    () => document.querySelector(".graphiql-query-editor")?.innerText.includes("customers"),
    null,
    { timeout: 20000 },
  );
  // The response pane renders only its visible lines, so the full answer is read off the wire.
  const answered = page.waitForResponse(
    (response) =>
      response.request().method() === "POST" &&
      (response.request().postData() || "").includes("customers"),
    { timeout: 20000 },
  );
  await page.click(".graphiql-execute-button");
  const answer = await answered;
  await page.waitForFunction(
    () => {
      const text = document.querySelector(".graphiql-response")?.innerText || "";
      return text.includes('"data"') || text.includes('"errors"');
    },
    null,
    { timeout: 20000 },
  );
  output = {
    title: await page.title(),
    shown: await page.locator(".graphiql-response").innerText(),
    answer: { status: answer.status(), body: await answer.json() },
    headersEditor: await page
      .locator(".graphiql-editor-tool .graphiql-editor")
      .last()
      .innerText()
      .catch(() => null),
  };
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify({ ...output, requests, consoleErrors }));
