// A frontend on another origin calls the API with a real fetch from headless Debian Chromium
// (playwright-core; no browser download). The frontend's page is served by this script on its
// own loopback port, so the API (another port) is cross-origin and the browser runs CORS: a
// preflight for the non-simple headers, then the POST.
// Usage: node tests/js/cors_browser.mjs http://127.0.0.1:PORT/graphql TOKEN FRONTEND_PORT
// Prints {origin, calls: {<name>: {ok, status, body | error}}}: one call per header set below.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [api, token, frontendPort] = process.argv.slice(2);
if (!api || !token || !frontendPort) {
  console.error("usage: node cors_browser.mjs <graphql url> <bearer token> <frontend port>");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

// What browser OpenTelemetry and Apollo Client add to a request, then a header the service
// is configured to allow, then one it does not allow (that fetch must fail).
const HEADER_SETS = {
  tracing_and_client_awareness: {
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    tracestate: "vendor=opaque",
    "apollographql-client-name": "partner-portal",
    "apollographql-client-version": "1.4.2",
  },
  configured_extra: { "X-Frontend-Build": "2026.12.1" },
  not_allowed: { "X-Not-Allowed": "1" },
};

const frontend = createServer((request, response) => {
  response.writeHead(200, { "content-type": "text/html" });
  response.end("<!doctype html><title>frontend</title><p>frontend</p>");
});
await new Promise((resolve) => frontend.listen(Number(frontendPort), "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${frontend.address().port}`;

const profile = mkdtempSync(join(tmpdir(), "cors-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const calls = {};
try {
  const page = await context.newPage();
  await page.goto(`${origin}/`, { waitUntil: "load" });
  for (const [name, headers] of Object.entries(HEADER_SETS)) {
    calls[name] = await page.evaluate(
      async ({ api, token, headers }) => {
        try {
          const response = await fetch(api, {
            method: "POST",
            headers: {
              ...headers,
              Authorization: `Bearer ${token}`,
              "Content-Type": "application/json",
              Accept: "application/graphql-response+json",
            },
            body: JSON.stringify({ query: "{ customers(first: 2) { nodes { id } } }" }),
          });
          return { ok: true, status: response.status, body: await response.json() };
        } catch (error) {
          return { ok: false, error: String(error) };
        }
      },
      { api, token, headers },
    );
  }
} finally {
  await context.close();
  frontend.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify({ origin, calls }));
