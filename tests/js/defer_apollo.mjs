// Apollo Client 4 against the service: a deferred dashboard read through one of the client's
// incremental handlers, then the same query without @defer in a fresh client.
// Usage: node defer_apollo.mjs <graphql url> <alpha9|defer2022>
// Prints one JSON line: what each emitted result held, the Accept sent, and both caches.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { Defer20220824Handler, GraphQL17Alpha9Handler } from "@apollo/client/incremental";

const [url, handlerName] = process.argv.slice(2);
const handlers = { alpha9: GraphQL17Alpha9Handler, defer2022: Defer20220824Handler };

const DEFERRED = gql`
  query Dashboard {
    customers(first: 12) {
      nodes {
        id
        companyProfile { companyName domain }
        ...Billing @defer
      }
    }
  }
  fragment Billing on Customer { billingProfile { firstName lastName email } }
`;
const PLAIN = gql`
  query Dashboard {
    customers(first: 12) {
      nodes {
        id
        companyProfile { companyName domain }
        ...Billing
      }
    }
  }
  fragment Billing on Customer { billingProfile { firstName lastName email } }
`;

const accepts = [];
function client(handler) {
  const link = new HttpLink({
    uri: url,
    headers: { authorization: "Bearer apollo-client" },
    fetch: (input, init) => {
      accepts.push(new Headers(init.headers).get("accept"));
      return fetch(input, init);
    },
  });
  return new ApolloClient({ link, cache: new InMemoryCache(), incrementalHandler: handler });
}

function watch(apollo, query) {
  const results = [];
  return new Promise((resolve, reject) => {
    const subscription = apollo.watchQuery({ query }).subscribe({
      next(result) {
        if (result.loading && !result.data) return;
        const nodes = result.data?.customers?.nodes ?? [];
        results.push({
          dataState: result.dataState,
          nodes: nodes.length,
          withBilling: nodes.filter((node) => node.billingProfile).length,
          error: result.error ? String(result.error) : null,
        });
        if (result.dataState === "complete" || result.error) {
          subscription.unsubscribe();
          resolve(results);
        }
      },
      error: reject,
    });
  });
}

const deferred = client(new handlers[handlerName]());
const results = await watch(deferred, DEFERRED);
const plain = client(new handlers[handlerName]());
await watch(plain, PLAIN);
console.log(
  JSON.stringify({
    results,
    accept: accepts[0],
    deferredCache: deferred.cache.extract(),
    plainCache: plain.cache.extract(),
  }),
);
