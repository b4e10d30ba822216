// relay-runtime against the service: a query compiled by relay-compiler with @defer, fed to
// Relay's store by a network layer that reads the multipart stream (deferSpec=20220824) and
// hands Relay each deferred entry as the flat payload it expects ({data, label, path}).
// Then the same query compiled without @defer, in a fresh environment.
// Usage: node defer_relay.mjs <graphql url> <directory of the compiled artifacts>
// Prints one JSON line: billing profiles in the store after each payload, and both stores.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const { Environment, Network, Observable, RecordSource, Store, fetchQuery } =
  require("relay-runtime");

const [url, generated] = process.argv.slice(2);
const artifact = (name) => require(path.join(generated, `${name}.graphql.js`));

// The JSON parts of a multipart/mixed body, as they arrive.
async function* multipartParts(response) {
  const type = response.headers.get("content-type") ?? "";
  const boundary = "\r\n--" + (/boundary="?([^";]+)"?/.exec(type)?.[1] ?? "-");
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let at;
    while ((at = buffer.indexOf(boundary)) !== -1) {
      const part = buffer.slice(0, at);
      buffer = buffer.slice(at + boundary.length);
      const body = part.indexOf("\r\n\r\n");
      if (body !== -1) yield JSON.parse(part.slice(body + 4));
    }
  }
}

// Relay's network layer: one payload per 2022 `incremental` entry.
function fetchFn(params) {
  return Observable.create((sink) => {
    (async () => {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "multipart/mixed;deferSpec=20220824, application/json;q=0.9",
          authorization: "Bearer relay",
        },
        body: JSON.stringify({ query: params.text, variables: {} }),
      });
      if (!(response.headers.get("content-type") ?? "").startsWith("multipart/mixed")) {
        sink.next(await response.json());
        sink.complete();
        return;
      }
      for await (const part of multipartParts(response)) {
        if (part.incremental) {
          for (const entry of part.incremental) sink.next({ ...entry, hasNext: part.hasNext });
        } else {
          sink.next(part);
        }
      }
      sink.complete();
    })().catch((error) => sink.error(error));
  });
}

function environment() {
  return new Environment({ network: Network.create(fetchFn), store: new Store(new RecordSource()) });
}

function billingRecords(env) {
  const records = env.getStore().getSource().toJSON();
  return Object.values(records).filter((record) => record.__typename === "BillingProfile").length;
}

async function run(query) {
  const env = environment();
  const seen = [];
  await new Promise((resolve, reject) => {
    fetchQuery(env, query, {}).subscribe({
      next: () => seen.push(billingRecords(env)),
      complete: resolve,
      error: reject,
    });
  });
  return { env, seen };
}

const deferred = await run(artifact("DashboardQuery"));
const plain = await run(artifact("DashboardPlainQuery"));
console.log(
  JSON.stringify({
    seen: deferred.seen,
    deferredStore: deferred.env.getStore().getSource().toJSON(),
    plainStore: plain.env.getStore().getSource().toJSON(),
  }),
);
