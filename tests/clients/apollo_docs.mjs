// Drives docs/clients.md's Apollo Client snippets (copied beside this script by the test)
// against a live service. Usage:
//   node apollo_docs.mjs URL THROTTLED_URL FORBIDDEN_ID SEARCH_PREFIX
// Prints one JSON object with what each scenario saw.
import { createClient } from "./apollo-client.mjs";
import { CUSTOMERS, firstTwoPages, refetchCustomer } from "./apollo-operations.mjs";

const [url, throttledUrl, forbiddenId, prefix] = process.argv.slice(2);
const client = createClient({
  uri: url,
  getToken: () => "apollo-docs-token",
  name: "partner-portal",
  version: "1.4.2",
});
const ids = (connection) => connection.customers.edges.map((edge) => edge.node.id);

const all = await firstTwoPages(client, { first: 2 });
const search = { field: "COMPANY_NAME", startsWith: prefix };
const searched = await firstTwoPages(client, { first: 2, search });
const unsearched = client.readQuery({ query: CUSTOMERS, variables: { first: 2 } });
const refetched = await refetchCustomer(client, ids(all)[0]);
const forbidden = await refetchCustomer(client, forbiddenId);

const retries = [];
const tight = createClient({
  uri: throttledUrl,
  getToken: () => "apollo-docs-token",
  name: "partner-portal",
  version: "1.4.2",
  onRetry: (operation, seconds) => retries.push([operation, seconds]),
});
const answers = [];
for (let i = 0; i < 2; i += 1) {
  const { data } = await tight.query({
    query: CUSTOMERS,
    variables: { first: 1 },
    fetchPolicy: "network-only",
  });
  answers.push(ids(data));
}

console.log(
  JSON.stringify({
    pages: ids(all),
    searched: searched.customers.edges.map((edge) => edge.node.companyProfile.companyName),
    unsearchedAfterSearch: ids(unsearched),
    refetched,
    forbidden,
    retries,
    answers,
  }),
);
