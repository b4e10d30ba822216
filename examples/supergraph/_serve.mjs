// Shared by the test servers: listen on a free loopback port and announce the URL.
// The Python side reads stdout until the line that starts with {"url":.
import { startStandaloneServer } from '@apollo/server/standalone';

/** Start `server` on 127.0.0.1 (port 0 = any free port) and print `{"url": ...}` on stdout. */
export async function serveOnLoopback(server, options = {}) {
  const port = Number(process.env.PORT ?? 0);
  const { url } = await startStandaloneServer(server, {
    ...options,
    listen: { host: '127.0.0.1', port },
  });
  process.stdout.write(`${JSON.stringify({ url })}\n`);
  // The test runner stops us with SIGTERM; exit at once rather than draining.
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => process.exit(0));
  }
  return url;
}
