// Apollo Client 4 asking the service by persisted id or by APQ hash, as a frontend would.
//
//   node persisted_client.mjs manifest URL MANIFEST.json OPERATION.graphql...
//     @apollo/persisted-query-lists: ids from the manifest that
//     @apollo/generate-persisted-query-manifest wrote; runs each file's operation.
//   node persisted_client.mjs apq URL TIMES [get]
//     APQ: the persisted-query link hashing the printed query; runs one query TIMES times,
//     each from the network (a new request), by POST or (`get`) by GET.
//
// Prints one JSON line: {"results": [...each result's data...], "errors": [...]}.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { generatePersistedQueryIdsFromManifest } from '@apollo/persisted-query-lists';

const [mode, url, ...rest] = process.argv.slice(2);
const http = new HttpLink({ uri: url, headers: { authorization: 'Bearer persisted-client' } });

function client(link) {
  return new ApolloClient({ link: link.concat(http), cache: new InMemoryCache() });
}

const results = [];
const errors = [];

async function run(apollo, query, variables) {
  try {
    const { data, error } = await apollo.query({ query, variables, fetchPolicy: 'network-only' });
    results.push(data ?? null);
    if (error) errors.push(String(error.message));
  } catch (error) {
    errors.push(String(error?.message ?? error));
  }
}

if (mode === 'manifest') {
  const [manifestFile, ...operationFiles] = rest;
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const apollo = client(
    new PersistedQueryLink(
      generatePersistedQueryIdsFromManifest({ loadManifest: () => manifest }),
    ),
  );
  for (const file of operationFiles) {
    await run(apollo, gql(readFileSync(file, 'utf8')), { first: 2 });
  }
} else if (mode === 'apq') {
  const [times, method] = rest;
  const apollo = client(
    new PersistedQueryLink({
      sha256: (text) => createHash('sha256').update(text).digest('hex'),
      useGETForHashedQueries: method === 'get',
    }),
  );
  const query = gql`
    query ApqNames($first: Int) {
      customers(first: $first) {
        nodes {
          id
        }
      }
    }
  `;
  for (let i = 0; i < Number(times); i += 1) {
    await run(apollo, query, { first: 2 });
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
console.log(JSON.stringify({ results, errors }));
