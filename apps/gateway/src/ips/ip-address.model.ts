import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { connectionTypes } from '../graphql/connection.js';
import { IpFamily } from '../graphql/enums.js';

@ObjectType()
export class IpAddress {
  @Field(() => ID) id!: string;
  @Field() address!: string;
  @Field(() => IpFamily) family!: string;
  @Field() floating!: boolean;
  @Field(() => String, { nullable: true }) reverseDns!: string | null;
}
export const IpAddressConnection = connectionTypes(IpAddress, 'IpAddress', { totalCount: true });

@InputType()
export class AllocateIpInput {
  @Field(() => ID) regionId!: string;
  @Field(() => IpFamily) family!: 'IPV4' | 'IPV6';
  @Field(() => ID, { nullable: true }) instanceId?: string | null;
}
