import { Kind, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/** A page's size where the query gives none: the services' default. */
const DEFAULT_PAGE = 20;

export interface QueryCost {
  /** The deepest field below the operation, introspection left out. */
  depth: number;
  /** One per field, a list's fields counted once per row it may return (`first`, else 20). */
  complexity: number;
}

/** How many rows a field may return: a page's `first`, 20 for a connection without it, else one. */
function rowsOf(field: FieldNode, variables: Record<string, unknown>): number {
  const first = field.arguments?.find((arg) => arg.name.value === 'first');
  const paged = first || field.selectionSet?.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'edges');
  if (!first) return paged ? DEFAULT_PAGE : 1;
  const value = first.value.kind === Kind.VARIABLE ? variables[first.value.name.value] : first.value.kind === Kind.INT ? Number(first.value.value) : undefined;
  return typeof value === 'number' && value > 0 ? value : DEFAULT_PAGE;
}

/**
 * What an operation may cost before it runs, from its text alone: depth and a complexity in which
 * each page multiplies what is selected inside it by the rows it may return. Introspection (`__schema`, `__type`)
 * is left out: clients and tools ask for the schema with deeply nested type references.
 */
export function measureQuery(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> = {}): QueryCost {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);

  const visit = (selectionSet: SelectionSetNode, depth: number, seen: ReadonlySet<string>): QueryCost => {
    let deepest = depth;
    let complexity = 0;
    for (const selection of selectionSet.selections) {
      let inner: QueryCost | undefined;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const below = selection.selectionSet ? visit(selection.selectionSet, depth + 1, seen) : { depth: depth + 1, complexity: 0 };
        inner = { depth: below.depth, complexity: 1 + rowsOf(selection, variables) * below.complexity };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = visit(selection.selectionSet, depth, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        // A fragment spread inside itself is a validation error already; it is not followed twice here.
        if (!fragment || seen.has(fragment.name.value)) continue;
        inner = visit(fragment.selectionSet, depth, new Set([...seen, fragment.name.value]));
      }
      deepest = Math.max(deepest, inner.depth);
      complexity += inner.complexity;
    }
    return { depth: deepest, complexity };
  };
  return visit(operation.selectionSet, 0, new Set());
}
