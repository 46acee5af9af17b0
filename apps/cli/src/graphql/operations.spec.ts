import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate } from 'graphql';
import * as accounts from '../accounts/accounts.operations.js';
import * as catalog from '../catalog/catalog.operations.js';
import * as contexts from '../contexts/contexts.operations.js';
import * as hosts from '../hosts/hosts.operations.js';
import * as instances from '../instances/instances.operations.js';
import * as invoices from '../invoices/invoices.operations.js';
import * as ips from '../ips/ips.operations.js';
import * as pools from '../pools/pools.operations.js';
import type { Operation } from './operation.js';

/**
 * The contract, and what the gateway serves beyond it that the CLI uses (as its resolvers declare it:
 * retireHost in apps/gateway/src/hosts/host-enrolment.resolver.ts); the CLI's e2e runs each against the gateway.
 */
const BEYOND_CONTRACT = 'extend type Mutation { retireHost(id: ID!): Host! }';
const contract = buildSchema(`${readFileSync(new URL('../../../../api/contract.graphql', import.meta.url), 'utf8')}\n${BEYOND_CONTRACT}`);

const documents = Object.entries({ accounts, catalog, contexts, hosts, instances, invoices, ips, pools }).flatMap(([group, exports]) =>
  Object.entries(exports as Record<string, unknown>)
    .filter((entry): entry is [string, Operation<unknown, unknown>] => typeof (entry[1] as Operation<unknown, unknown>)?.document === 'string')
    .map(([name, op]) => [`${group}.${name}`, op.document] as const),
);

describe("the CLI's GraphQL documents", () => {
  it('are all found', () => {
    expect(documents.length).toBeGreaterThan(40);
  });

  it.each(documents)('%s is valid against api/contract.graphql (and the gateway\'s retireHost)', (_name, document) => {
    expect(validate(contract, parse(document)).map((e) => e.message)).toEqual([]);
  });

  it('each name one operation', () => {
    const names = documents.map(([, document]) => /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(document)?.[1]);
    expect(names.every(Boolean)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });
});
