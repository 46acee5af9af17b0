import { buildSchema } from 'graphql';
import { schemaDifferences } from './schema-differences.js';

const contract = buildSchema(`
  enum Kind { VM CONTAINER }
  type Plan { id: ID! price(currency: String): String kind: Kind! }
  type Query { plans(kind: Kind): [Plan!]! }
`);

describe('schemaDifferences', () => {
  it('finds nothing where the schema has everything, and more', () => {
    const actual = buildSchema(`
      enum Kind { VM CONTAINER BAREMETAL }
      type Plan { id: ID! price(currency: String, at: String): String kind: Kind! extra: Int }
      type Query { plans(kind: Kind): [Plan!]! other: Int }
    `);
    expect(schemaDifferences(contract, actual)).toEqual([]);
  });

  it('names each missing or different type, field, argument and enum value', () => {
    const actual = buildSchema(`
      enum Kind { VM }
      type Plan { id: ID price(currency: String!, at: String!): String }
      type Query { plans: [Plan]! }
    `);
    expect(schemaDifferences(contract, actual)).toEqual([
      'enum Kind lacks CONTAINER',
      'Plan.id is ID, not ID!',
      'Plan.price(currency) is String!, not String',
      'Plan.price(at) is required but not in the contract',
      'Plan.kind is missing',
      'Query.plans is [Plan]!, not [Plan!]!',
      'Query.plans(kind) is missing',
    ]);
  });
});
