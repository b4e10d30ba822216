// Drives docs/clients.md's Relay snippets (copied beside this script, compiled by
// relay-compiler into src/__generated__ by the test) against a live service. Usage:
//   node relay_docs.mjs URL THROTTLED_URL FORBIDDEN_ID
// Prints one JSON object with what each scenario saw.
import {
  ConnectionHandler,
  commitLocalUpdate,
  createOperationDescriptor,
  fetchQuery,
} from "relay-runtime";
import { createEnvironment } from "./relay-environment.mjs";
import PaginationQuery from "./src/__generated__/CustomerListPaginationQuery.graphql.js";
import NodeQuery from "./src/__generated__/CustomerNodeQuery.graphql.js";

const [url, throttledUrl, forbiddenId] = process.argv.slice(2);
const reported = [];
const environment = createEnvironment({
  url,
  getToken: () => "relay-docs-token",
  onErrors: (operation, codes) => reported.push([operation, codes]),
});

// What the @connection holds, as usePaginationFragment would render it.
function connection() {
  let seen = { ids: [], endCursor: null, hasNextPage: null };
  commitLocalUpdate(environment, (store) => {
    const list = ConnectionHandler.getConnection(store.getRoot(), "CustomerList_customers", {
      search: null,
    });
    if (!list) return;
    const pageInfo = list.getLinkedRecord("pageInfo");
    seen = {
      ids: list.getLinkedRecords("edges").map((edge) => edge.getLinkedRecord("node").getValue("id")),
      endCursor: pageInfo.getValue("endCursor"),
      hasNextPage: pageInfo.getValue("hasNextPage"),
    };
  });
  return seen;
}

async function page(cursor) {
  const variables = { count: 2, cursor, search: null };
  // Retained, as a mounted component's query is, so the store keeps the records.
  environment.retain(createOperationDescriptor(PaginationQuery, variables));
  await fetchQuery(environment, PaginationQuery, variables).toPromise();
  return connection();
}

const first = await page(null);
const both = await page(first.endCursor);
const node = await fetchQuery(environment, NodeQuery, { id: first.ids[0] }).toPromise();
const forbidden = await fetchQuery(environment, NodeQuery, { id: forbiddenId }).toPromise();

const retries = [];
const tight = createEnvironment({
  url: throttledUrl,
  getToken: () => "relay-docs-token",
  onRetry: (operation, seconds) => retries.push([operation, seconds]),
});
const answers = [];
for (let i = 0; i < 2; i += 1) {
  const data = await fetchQuery(tight, NodeQuery, { id: first.ids[i] }, {
    fetchPolicy: "network-only",
  }).toPromise();
  answers.push(data.node?.id ?? null);
}

console.log(JSON.stringify({ first, both, node, forbidden, reported, answers, retries }));
