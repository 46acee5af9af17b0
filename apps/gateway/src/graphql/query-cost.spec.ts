import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { measureQuery } from './query-cost.js';

const measure = (query: string, variables?: Record<string, unknown>) => {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  return measureQuery(document, operation, variables);
};

describe('measureQuery', () => {
  it('counts each field once and each field inside a page once per row', () => {
    expect(measure('{ me { id name } }')).toEqual({ depth: 2, complexity: 3 });
    // instances(first: 10) { edges { node { id name } } } = 1 + 10 × (edges 1 + node 1 + 2)
    expect(measure('{ instances(first: 10) { edges { node { id name } } } }')).toEqual({ depth: 4, complexity: 41 });
  });

  it('takes the page size from a variable, and 20 where none is given', () => {
    expect(measure('query($n: Int) { instances(first: $n) { totalCount } }', { n: 50 }).complexity).toBe(51);
    expect(measure('{ instances { edges { node { id } } } }').complexity).toBe(1 + 20 * 3);
    expect(measure('{ instances { totalCount } }').complexity).toBe(2);
  });

  it('multiplies nested pages, so a page of histories costs what it may return', () => {
    const query = '{ instances(first: 100) { edges { node { history(first: 100) { edges { node { id } } } } } } }';
    expect(measure(query).complexity).toBe(1 + 100 * (1 + 1 + (1 + 100 * 3)));
  });

  it('follows fragments, named and inline, for depth and cost', () => {
    const query = `{ me { ...who customers { edges { node { ... on Account { parent { id } } } } } } }
      fragment who on Account { id parent { parent { id } } }`;
    expect(measure(query)).toEqual({ depth: 6, complexity: 1 + 1 + 2 + 1 + 1 + 20 * (1 + 1 + 2) });
  });

  it('leaves introspection out, however deep its type references go', () => {
    expect(measure('{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }')).toEqual({ depth: 0, complexity: 0 });
  });
});
