// An Apollo Gateway over live subgraphs, served by Apollo Server on a loopback port.
//
//   node gateway.mjs customers=http://127.0.0.1:8000/graphql orders=http://127.0.0.1:4001/
//
// The supergraph is composed at start from each subgraph's live `_service { sdl }`
// (IntrospectAndCompose), as a gateway in front of running services does. The caller's
// Authorization header is forwarded to every subgraph: the customers subgraph passes it on
// to Partner Center. Prints {"url": "http://127.0.0.1:PORT/"} once it listens.
import { ApolloServer } from '@apollo/server';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { serveOnLoopback } from './_serve.mjs';

function parseSubgraphs(argv) {
  if (argv.length < 1) throw new Error('usage: node gateway.mjs NAME=URL ...');
  return argv.map((argument) => {
    const separator = argument.indexOf('=');
    if (separator < 1) throw new Error(`expected NAME=URL, got ${JSON.stringify(argument)}`);
    return { name: argument.slice(0, separator), url: argument.slice(separator + 1) };
  });
}

// Headers the gateway adds to every subgraph request (SUBGRAPH_HEADERS, a JSON object), as a
// router's `headers` configuration does: e.g. the customers subgraph's trusted-mode bypass.
const subgraphHeaders = JSON.parse(process.env.SUBGRAPH_HEADERS ?? '{}');

class ForwardAuthorization extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    for (const [name, value] of Object.entries(subgraphHeaders)) {
      request.http.headers.set(name, value);
    }
    if (context?.authorization) {
      request.http.headers.set('authorization', context.authorization);
    }
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: new IntrospectAndCompose({ subgraphs: parseSubgraphs(process.argv.slice(2)) }),
  buildService: ({ url }) => new ForwardAuthorization({ url }),
});
const server = new ApolloServer({ gateway });
await serveOnLoopback(server, {
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
