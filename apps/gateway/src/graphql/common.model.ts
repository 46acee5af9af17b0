import { Field, ObjectType } from '@nestjs/graphql';
import { DecimalScalar } from './scalars.js';

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType()
export class Money {
  @Field(() => DecimalScalar) amount!: string;
  @Field() currency!: string;
}
