import type { Type } from '@nestjs/common';
import { Field, Int, ObjectType } from '@nestjs/graphql';
import { PageInfo } from './common.model.js';

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
