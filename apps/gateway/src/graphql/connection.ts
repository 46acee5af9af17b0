import type { Type } from '@nestjs/common';
import { Field, Int, ObjectType } from '@nestjs/graphql';
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { PageInfo } from './common.model.js';

/**
 * Whether the field being resolved selects `name` directly below it (through fragments too, whatever
 * their type condition): a connection's resolver asks a service to count only where totalCount is asked.
 */
export function selects(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const inSet = (set: SelectionSetNode | undefined): boolean => (set?.selections ?? []).some((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === name;
    if (selection.kind === Kind.INLINE_FRAGMENT) return inSet(selection.selectionSet);
    if (seen.has(selection.name.value)) return false;
    seen.add(selection.name.value);
    return inSet(info.fragments[selection.name.value]?.selectionSet);
  });
  return info.fieldNodes.some((node) => inSet(node.selectionSet));
}

/** `<Name>Edge` and `<Name>Connection` of the contract for one node type; most connections count their nodes too. */
export function connectionTypes<T>(node: Type<T>, name: string, options: { totalCount: boolean }): Type<unknown> {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field() cursor!: string;
    @Field(() => node) node!: T;
  }

  @ObjectType(`${name}Connection`, { isAbstract: options.totalCount })
  class Connection {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
  }
  if (!options.totalCount) return Connection;

  @ObjectType(`${name}Connection`)
  class CountedConnection extends Connection {
    @Field(() => Int) totalCount!: number;
  }
  return CountedConnection;
}
