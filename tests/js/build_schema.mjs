// Builds an SDL file with graphql-js's buildSchema, as client tools (GraphQL Code Generator,
// graphql-config, editors) do. Usage: node tests/js/build_schema.mjs FILE.graphql
// Prints {"ok": true, "types": N} or {"ok": false, "error": "..."}.
import { readFileSync } from "node:fs";
import { buildSchema } from "graphql";

try {
  const schema = buildSchema(readFileSync(process.argv[2], "utf8"));
  console.log(JSON.stringify({ ok: true, types: Object.keys(schema.getTypeMap()).length }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error.message) }));
}
