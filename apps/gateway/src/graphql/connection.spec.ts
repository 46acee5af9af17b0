import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type OperationDefinitionNode } from 'graphql';
import { selects } from './connection.js';

/** The info a resolver of the operation's first root field gets, as far as `selects` reads it. */
function infoOf(query: string): GraphQLResolveInfo {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(document.definitions
    .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
    .map((d) => [d.name.value, d]));
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments } as unknown as GraphQLResolveInfo;
}

describe('selects', () => {
  it('finds a field selected directly below, in an inline fragment or a named one', () => {
    expect(selects(infoOf('{ instances { totalCount edges { node { id } } } }'), 'totalCount')).toBe(true);
    expect(selects(infoOf('{ instances { ... on InstanceConnection { totalCount } } }'), 'totalCount')).toBe(true);
    expect(selects(infoOf('{ instances { ...counted } } fragment counted on InstanceConnection { totalCount }'), 'totalCount')).toBe(true);
  });

  it('does not find one that is not asked, or asked deeper down', () => {
    expect(selects(infoOf('{ instances(first: 20) { edges { node { id name status } } } }'), 'totalCount')).toBe(false);
    expect(selects(infoOf('{ instances { edges { node { totalCount: name } } } }'), 'totalCount')).toBe(false);
    // A fragment spread in itself (invalid, refused before execution) ends.
    expect(selects(infoOf('{ instances { ...a } } fragment a on InstanceConnection { ...a }'), 'totalCount')).toBe(false);
  });
});
