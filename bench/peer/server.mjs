// The benchmark's peer: the same customers API as graphql_api, written the way an Apollo
// shop would write it (Apollo Server 5, a RESTDataSource per request, a DataLoader for
// billing profiles), over the same Partner Center emulator.
//
//   UPSTREAM=http://127.0.0.1:8081 PORT=0 MAX_IN_FLIGHT=16 node bench/peer/server.mjs
//
// It prints {"url": ...} once listening. What it does as graphql_api does, so that the two
// spend the same upstream calls: one list call per page (company profiles come embedded),
// one call per billing profile, batched per request, one call per customer for the fields
// only its full record has (which then serves the billing profile too), at most MAX_IN_FLIGHT sockets to the
// upstream (graphql_api's UPSTREAM_MAX_IN_FLIGHT), the caller's bearer forwarded. What it
// leaves out, which graphql_api does: signed cursors (these are plain base64url JSON, as in
// most Relay tutorials), typed error codes, budgets, caches, limits, metrics and logs.
import http from 'node:http';
import https from 'node:https';

import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { RESTDataSource } from '@apollo/datasource-rest';
import DataLoader from 'dataloader';

const UPSTREAM = process.env.UPSTREAM ?? 'http://127.0.0.1:8081';
const MAX_IN_FLIGHT = Number(process.env.MAX_IN_FLIGHT ?? 16);
const DEFAULT_FIRST = 50;

const agentOptions = { keepAlive: true, maxSockets: MAX_IN_FLIGHT };
const agent = UPSTREAM.startsWith('https:')
  ? new https.Agent(agentOptions)
  : new http.Agent(agentOptions);

const typeDefs = `#graphql
  type Query {
    customers(search: CustomerSearch, first: Int, after: String): CustomerConnection!
  }
  input CustomerSearch { field: CustomerSearchField!, startsWith: String! }
  enum CustomerSearchField { COMPANY_NAME DOMAIN INDIRECT_RESELLER INDIRECT_CLOUD_SOLUTION_PROVIDER }
  type CustomerConnection { edges: [CustomerEdge!]!  nodes: [Customer!]!  pageInfo: PageInfo! }
  type CustomerEdge { cursor: String!  node: Customer! }
  type PageInfo { hasNextPage: Boolean!  hasPreviousPage: Boolean!  startCursor: String  endCursor: String }
  interface Node { id: ID! }
  enum RelationshipToPartner { NONE RESELLER ADVISOR SYNDICATION MICROSOFT_SUPPORT UNKNOWN }
  type Customer implements Node {
    id: ID!
    commerceId: String
    relationshipToPartner: RelationshipToPartner
    allowDelegatedAccess: Boolean
    associatedPartnerId: String
    customDomains: [String!]
    companyProfile: CompanyProfile
    billingProfile: BillingProfile
  }
  type CompanyProfile {
    tenantId: String  domain: String  companyName: String
    address: Address  email: String  organizationRegistrationNumber: String
  }
  type BillingProfile {
    id: String  firstName: String  lastName: String  email: String
    culture: String  language: String  companyName: String  defaultAddress: Address
  }
  type Address {
    id: String  country: String  region: String  city: String  state: String
    district: String  addressLine1: String  addressLine2: String  addressLine3: String
    postalCode: String  firstName: String  middleName: String  lastName: String
    phoneNumber: String  emailAddress: String
  }
`;

const RELATIONSHIPS = new Set([
  'NONE', 'RESELLER', 'ADVISOR', 'SYNDICATION', 'MICROSOFT_SUPPORT', 'UNKNOWN',
]);

// Fields a list item lacks: asking one of them loads the customer's full record (one call
// per customer, which carries both profiles), as graphql_api does.
const FULL_CUSTOMER_FIELDS = new Set([
  'commerceId', 'allowDelegatedAccess', 'associatedPartnerId', 'customDomains',
]);
const FULL_COMPANY_FIELDS = new Set(['address', 'email', 'organizationRegistrationNumber']);

function fieldsOf(selectionSet, fragments, out = []) {
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === 'Field') out.push(selection);
    else if (selection.kind === 'InlineFragment') fieldsOf(selection.selectionSet, fragments, out);
    else fieldsOf(fragments[selection.name.value]?.selectionSet, fragments, out);
  }
  return out;
}

// Whether the `customers` field asks any customer for a field only its full record has.
function needsFullRecords(info) {
  const { fragments } = info;
  const customerFields = [];
  for (const field of fieldsOf(info.fieldNodes[0].selectionSet, fragments)) {
    if (field.name.value === 'nodes') customerFields.push(...fieldsOf(field.selectionSet, fragments));
    if (field.name.value !== 'edges') continue;
    for (const edgeField of fieldsOf(field.selectionSet, fragments)) {
      if (edgeField.name.value === 'node') {
        customerFields.push(...fieldsOf(edgeField.selectionSet, fragments));
      }
    }
  }
  return customerFields.some(
    (field) =>
      FULL_CUSTOMER_FIELDS.has(field.name.value) ||
      (field.name.value === 'companyProfile' &&
        fieldsOf(field.selectionSet, fragments).some((p) => FULL_COMPANY_FIELDS.has(p.name.value))),
  );
}

const SEARCH_FIELDS = {
  COMPANY_NAME: 'CompanyName',
  DOMAIN: 'Domain',
  INDIRECT_RESELLER: 'IndirectReseller',
  INDIRECT_CLOUD_SOLUTION_PROVIDER: 'IndirectCloudSolutionProvider',
};

class PartnerCenter extends RESTDataSource {
  baseURL = `${UPSTREAM.replace(/\/$/, '')}/`;

  constructor(authorization) {
    super();
    this.authorization = authorization;
  }

  willSendRequest(_path, request) {
    request.headers.authorization = this.authorization;
    request.headers.accept = 'application/json';
    request.agent = agent;
  }

  // Partner Center (and so the emulator) starts its JSON with a byte-order mark, which
  // JSON.parse refuses.
  async parseBody(response) {
    const text = await response.text();
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  }

  page(size, search, token) {
    const params = { size: String(size) };
    if (search) {
      params.filter = JSON.stringify({
        Field: SEARCH_FIELDS[search.field],
        Value: search.startsWith,
        Operator: 'starts_with',
      });
    }
    if (token === null) return this.get('v1/customers', { params });
    params.seekOperation = 'Next';
    return this.get('v1/customers', {
      params,
      headers: { 'MS-ContinuationToken': token },
    });
  }

  billingProfile(id) {
    return this.get(`v1/customers/${encodeURIComponent(id)}/profiles/billing`);
  }

  customer(id) {
    return this.get(`v1/customers/${encodeURIComponent(id)}`);
  }
}

function nextToken(page) {
  const headers = page.links?.next?.headers ?? [];
  const header = headers.find((h) => h.key === 'MS-ContinuationToken');
  return header ? header.value : null;
}

function encodeCursor(position) {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeCursor(text) {
  return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
}

const resolvers = {
  Query: {
    async customers(_root, { search, first, after }, context, info) {
      const { partnerCenter } = context;
      context.needsFull = needsFullRecords(info);
      const want = first ?? DEFAULT_FIRST;
      let position = after
        ? decodeCursor(after)
        : { token: null, offset: 0, size: Math.min(Math.max(want, 1), 500) };
      const edges = [];
      let hasNextPage = false;
      for (;;) {
        const page = await partnerCenter.page(position.size, search, position.token);
        const items = page.items ?? [];
        const token = nextToken(page);
        let index = position.offset;
        for (; index < items.length && edges.length < want; index += 1) {
          const last = index + 1 === items.length && token !== null;
          const cursor = last
            ? { token, offset: 0, size: position.size }
            : { token: position.token, offset: index + 1, size: position.size };
          edges.push({ node: items[index], cursor: encodeCursor(cursor) });
        }
        if (index < items.length) {
          hasNextPage = true;
          break;
        }
        if (token === null) break;
        if (edges.length === want) {
          hasNextPage = true;
          break;
        }
        position = { token, offset: 0, size: position.size };
      }
      return {
        edges,
        nodes: edges.map((edge) => edge.node),
        pageInfo: {
          hasNextPage,
          hasPreviousPage: Boolean(after),
          startCursor: edges.length ? edges[0].cursor : null,
          endCursor: edges.length ? edges[edges.length - 1].cursor : null,
        },
      };
    },
  },
  Customer: {
    async commerceId(customer, _args, { customers }) {
      return (await customers.load(customer.id)).commerceId ?? null;
    },
    relationshipToPartner(customer) {
      const value = String(customer.relationshipToPartner ?? '').toUpperCase().replace('-', '_');
      return customer.relationshipToPartner == null
        ? null
        : RELATIONSHIPS.has(value) ? value : 'UNKNOWN';
    },
    async allowDelegatedAccess(customer, _args, { customers }) {
      return (await customers.load(customer.id)).allowDelegatedAccess ?? null;
    },
    async associatedPartnerId(customer, _args, { customers }) {
      return (await customers.load(customer.id)).associatedPartnerId ?? null;
    },
    async customDomains(customer, _args, { customers }) {
      return (await customers.load(customer.id)).customDomains ?? null;
    },
    companyProfile(customer, _args, { customers, needsFull }) {
      return needsFull
        ? customers.load(customer.id).then((record) => record.companyProfile)
        : customer.companyProfile;
    },
    billingProfile(customer, _args, { billingProfiles, customers, needsFull }) {
      // The full record carries the billing profile: no call of its own then.
      return needsFull
        ? customers.load(customer.id).then((record) => record.billingProfile)
        : billingProfiles.load(customer.id);
    },
  },
  Node: {
    __resolveType() {
      return 'Customer';
    },
  },
};

const server = new ApolloServer({ typeDefs, resolvers });
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: Number(process.env.PORT ?? 0) },
  async context({ req }) {
    const partnerCenter = new PartnerCenter(req.headers.authorization ?? '');
    const billingProfiles = new DataLoader((ids) =>
      Promise.all(ids.map((id) => partnerCenter.billingProfile(id).catch((error) => error))),
    );
    const customers = new DataLoader((ids) =>
      Promise.all(ids.map((id) => partnerCenter.customer(id).catch((error) => error))),
    );
    return { partnerCenter, billingProfiles, customers, needsFull: false };
  },
});
process.stdout.write(`${JSON.stringify({ url })}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
