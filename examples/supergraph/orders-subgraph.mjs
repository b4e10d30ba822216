// The "orders" subgraph of the example supergraph (`make supergraph`): fixed orders whose customers are Partner Center customer ids given
// at run time (the emulator generates its ids from a seed, so they cannot be hard-coded here).
//
//   ORDERS_CUSTOMER_IDS='["id-a","id-b","id-c"]' node orders-subgraph.mjs
//
// Prints {"url": "http://127.0.0.1:PORT/"} once it listens.
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { serveOnLoopback } from './_serve.mjs';

const typeDefs = parse(readFileSync(new URL('./orders.graphql', import.meta.url), 'utf8'));

// Each order names a customer by slot; slot n is the n-th id of ORDERS_CUSTOMER_IDS.
// Three customers, six orders: customer 0 has three, so keys repeat in one _entities call.
const ORDER_TEMPLATES = [
  { number: 'SO-1001', totalCents: 12900, currency: 'EUR', slot: 0 },
  { number: 'SO-1002', totalCents: 4500, currency: 'EUR', slot: 1 },
  { number: 'SO-1003', totalCents: 780, currency: 'USD', slot: 0 },
  { number: 'SO-1004', totalCents: 99000, currency: 'USD', slot: 2 },
  { number: 'SO-1005', totalCents: 1250, currency: 'GBP', slot: 1 },
  { number: 'SO-1006', totalCents: 310, currency: 'EUR', slot: 0 },
];
const SLOTS = 1 + Math.max(...ORDER_TEMPLATES.map((order) => order.slot));

function loadCustomerIds() {
  const ids = JSON.parse(process.env.ORDERS_CUSTOMER_IDS ?? '[]');
  if (!Array.isArray(ids) || ids.length < SLOTS || !ids.every((id) => typeof id === 'string')) {
    throw new Error(`ORDERS_CUSTOMER_IDS must be a JSON list of at least ${SLOTS} customer ids`);
  }
  return ids;
}

const customerIds = loadCustomerIds();
const orders = ORDER_TEMPLATES.map((template, index) => ({
  id: `order-${index + 1}`,
  number: template.number,
  totalCents: template.totalCents,
  currency: template.currency,
  customerId: customerIds[template.slot],
}));
const ordersById = new Map(orders.map((order) => [order.id, order]));

function firstOrders(first) {
  if (first < 0) throw new Error('first must not be negative');
  return orders.slice(0, first);
}

const resolvers = {
  Query: {
    recentOrders: (_parent, { first }) => firstOrders(first),
    ordersPage: (_parent, { first }) => {
      const nodes = firstOrders(first);
      return {
        nodes,
        pageInfo: {
          hasNextPage: nodes.length < orders.length,
          hasPreviousPage: false,
          startCursor: nodes.length ? nodes[0].id : null,
          endCursor: nodes.length ? nodes[nodes.length - 1].id : null,
        },
      };
    },
  },
  Order: {
    __resolveReference: ({ id }) => ordersById.get(id) ?? null,
    // Only the key leaves this subgraph; the customers subgraph fills in the rest.
    customer: (order) => ({ __typename: 'Customer', id: order.customerId }),
  },
  Customer: {
    __resolveReference: ({ id }) => ({ id }),
    orders: ({ id }) => orders.filter((order) => order.customerId === id),
  },
};

const server = new ApolloServer({
  schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
  // Traces are for Apollo's cloud, which a test never reaches; the plugin also logs on stdout.
  plugins: [ApolloServerPluginInlineTraceDisabled()],
});
await serveOnLoopback(server);
