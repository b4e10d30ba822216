// Runs graphql-http's GraphQL over HTTP audit suite against a live server and prints every result.
// Usage: node tests/js/audit.mjs http://127.0.0.1:PORT/graphql
// Prints one JSON line per audit ({id, name, status, reason}); exits 1 when any MUST fails.
import { auditServer } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit.mjs <graphql url>");
  process.exit(2);
}

const results = await auditServer({ url });
let mustFailures = 0;
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") {
    line.reason = result.reason;
    if (result.name.startsWith("MUST")) mustFailures += 1;
  }
  console.log(JSON.stringify(line));
}
const counts = results.reduce((acc, r) => ({ ...acc, [r.status]: (acc[r.status] || 0) + 1 }), {});
console.error(`audits: ${results.length} ${JSON.stringify(counts)}; MUST failures: ${mustFailures}`);
process.exit(mustFailures === 0 ? 0 : 1);
