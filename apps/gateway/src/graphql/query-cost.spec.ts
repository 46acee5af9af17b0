import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, getIntrospectionQuery, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { RESOLVER_NAME_METADATA, RESOLVER_PROPERTY_METADATA } from '@nestjs/graphql';
import { COST, FIELD_COSTS, measureQuery } from './query-cost.js';
import { RESOLVERS } from './resolvers.js';

const contract = buildSchema(readFileSync(path.resolve(import.meta.dirname, '../../../../api/contract.graphql'), 'utf8'));

const measure = (query: string, variables?: Record<string, unknown>, schema = contract) => {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  return measureQuery(schema, document, operation, variables);
};

describe('measureQuery', () => {
  it('counts a plain field once, and a field inside a page once per row', () => {
    // me (a batched lookup, 2) { id 1 name 1 }
    expect(measure('{ me { id name } }')).toEqual({ depth: 2, complexity: 4 });
    // instances (a request, 50) + 10 × (edges 1 + node 1 + id 1 + name 1)
    expect(measure('{ instances(first: 10) { edges { node { id name } } } }')).toEqual({ depth: 4, complexity: 90 });
  });

  it('weighs a field that asks a service at what it asks: 2,400 aliases of upcomingInvoice cost 2,400 ratings', () => {
    const aliases = `{ ${Array.from({ length: 2400 }, (_, i) => `a${i}: upcomingInvoice { id }`).join(' ')} }`;
    expect(measure(aliases).complexity).toBe(2400 * (COST.RATING + 1));
    // A page's batched fields cost a share of one request per row; its histories a request each.
    expect(measure('{ instances(first: 100) { edges { node { costToDate { amount } ipAddresses { address } } } } }').complexity).toBe(50 + 100 * (2 + 10 + 1 + 2 + 1));
    expect(measure('{ instances(first: 100) { edges { node { history(first: 1) { edges { node { id } } } } } } }').complexity).toBe(50 + 100 * (2 + 50 + 3));
  });

  it('counts a query, a mutation or a subscription not listed as a request to a service, and any other field not listed as 1', () => {
    expect(measure('{ regions { id name } }').complexity).toBe(COST.REQUEST + 2);
    expect(measure('mutation { revokeApiKey(id: "k") { id } }').complexity).toBe(COST.REQUEST + 1);
  });

  it('lists the cost of every field a resolver method answers', () => {
    const resolved = RESOLVERS.flatMap((resolver) => {
      const type = Reflect.getMetadata(RESOLVER_NAME_METADATA, resolver) as string;
      const methods = resolver.prototype as unknown as Record<string, object>;
      return Object.getOwnPropertyNames(methods)
        .filter((method) => Reflect.getMetadata(RESOLVER_PROPERTY_METADATA, methods[method]))
        .map((method) => `${type}.${(Reflect.getMetadata(RESOLVER_NAME_METADATA, methods[method]) as string | undefined) ?? method}`);
    });
    expect(resolved).toEqual(expect.arrayContaining(['Instance.costToDate', 'Instance.history', 'Account.customers', 'Plan.hourlyPrice']));
    expect(resolved.filter((coordinate) => !(coordinate in FIELD_COSTS))).toEqual([]);
  });

  it('takes the page size from a variable, and 20 where none is given', () => {
    expect(measure('query($n: Int) { instances(first: $n) { totalCount } }', { n: 50 }).complexity).toBe(50 + 50);
    expect(measure('{ instances { edges { node { id } } } }').complexity).toBe(50 + 20 * 3);
    expect(measure('{ instances { totalCount } }').complexity).toBe(51);
  });

  it('multiplies nested pages, so a page of histories costs what it may return', () => {
    const query = '{ instances(first: 100) { edges { node { history(first: 100) { edges { node { id } } } } } } }';
    expect(measure(query).complexity).toBe(50 + 100 * (1 + 1 + (50 + 100 * 3)));
  });

  it('follows fragments, named and inline, for depth and cost, with the types they name', () => {
    const query = `{ me { ...who customers { edges { node { ... on Account { parent { id } } } } } } }
      fragment who on Account { id parent { parent { id } } }`;
    // me 2 + (id 1 + parent 2 + parent 2 + id 1) + customers 10 + 20 × (edges 1 + node 1 + parent 2 + id 1)
    expect(measure(query)).toEqual({ depth: 6, complexity: 2 + 6 + 10 + 20 * 5 });
  });

  it('measures mutations and subscriptions from their own root types', () => {
    expect(measure('subscription { instanceUpdated { history(first: 10) { edges { node { id } } } } }').complexity).toBe(50 + 50 + 10 * 3);
    expect(measure('mutation { deleteInstance(id: "x") { id costToDate { amount } } }').complexity).toBe(50 + 1 + 10 + 1);
  });

  it('counts a list met again below itself as a page of 20, so a query going round a cycle pays for each turn', () => {
    // instance 50 + firewalls 2 + instances 2 + (firewalls again) 2 + 20 × ((instances again) 2 + 20 × id 1)
    expect(measure('{ instance(id: "x") { firewalls { instances { firewalls { instances { id } } } } } }').complexity).toBe(56 + 20 * (2 + 20));
    // Five turns, within the depth of 12: a customer's firewall on 12 of its instances would be 12^10 rows.
    const turns = '{ instance(id: "x") { firewalls { instances { firewalls { instances { firewalls { instances { firewalls { instances { firewalls { instances { id } } } } } } } } } } } }';
    expect(measure(turns)).toMatchObject({ depth: 12 });
    expect(measure(turns).complexity).toBeGreaterThan(20 ** 8);
    expect(measure('{ snapshots: instance(id: "x") { snapshots { instance { snapshots { id } } } } }').complexity).toBe(50 + 2 + 2 + (2 + 20 * 1));
    // Once round, as the console's firewalls page goes, costs what it did: every list a row.
    expect(measure('{ firewalls(first: 100) { edges { node { id name rules { direction ports } instances { id } } } } }').complexity).toBe(50 + 100 * (1 + 1 + 2 + 1 + 2 + 2 + 1));
  });

  it('costs introspection what describing the schema takes, without depth: a tool asks for the schema, a thousand aliases of it are refused', () => {
    const tool = measure(getIntrospectionQuery());
    expect(tool.depth).toBe(0);
    expect(tool.complexity).toBeGreaterThan(COST.SCHEMA);
    expect(tool.complexity).toBeLessThan(1000);
    const aliases = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: __schema { types { name fields { name type { name ofType { name } } } } }`).join(' ')} }`;
    expect(measure(aliases)).toEqual({ depth: 0, complexity: 1000 * (COST.SCHEMA + 8) });
    expect(measure('{ __type(name: "Instance") { name } me { id } }')).toEqual({ depth: 2, complexity: COST.SCHEMA + 1 + 3 });
    expect(measure('{ __typename me { __typename id } }')).toEqual({ depth: 2, complexity: 3 });
  });
});
