import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { HostStatus, InstanceKind } from '../graphql/enums.js';
import { DateTimeScalar, DecimalScalar } from '../graphql/scalars.js';

@ObjectType()
export class Region {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() dnsZone!: string;
}

@ObjectType()
export class Plan {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => InstanceKind) kind!: string;
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMb!: number;
  @Field(() => Int) diskGb!: number;
}

@ObjectType()
export class Image {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() os!: string;
  @Field() version!: string;
  @Field(() => InstanceKind) kind!: string;
}

@ObjectType()
export class Host {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => HostStatus) status!: string;
  @Field(() => [InstanceKind]) kinds!: string[];
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMb!: number;
  @Field(() => Int) diskGb!: number;
  @Field(() => Int) allocatedVcpus!: number;
  @Field(() => Int) allocatedMemoryMb!: number;
  @Field(() => Int) allocatedDiskGb!: number;
  @Field(() => DateTimeScalar, { nullable: true }) lastHeartbeatAt!: string | null;
}

@InputType()
export class SetPriceInput {
  @Field(() => ID, { nullable: true, description: 'the reseller whose customers pay this price; defaults to the caller' }) accountId?: string | null;
  @Field(() => ID) planId!: string;
  @Field(() => DecimalScalar) hourlyPrice!: string;
  @Field(() => DecimalScalar) monthlyPrice!: string;
}
