import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { PoolView } from '#libs/contracts';
import { IpFamily } from '../graphql/enums.js';
import { DateTimeScalar } from '../graphql/scalars.js';

@ObjectType()
export class IpPool {
  @Field(() => ID) id!: string;
  @Field(() => IpFamily) family!: string;
  @Field() cidr!: string;
  @Field(() => String, { nullable: true }) gateway!: string | null;
  @Field() bridge!: string;
  @Field({ description: 'addresses (IPv4, one-address IPv6) or prefixes (assignmentLength 64) it can hand out' }) size!: string;
  @Field(() => Int) used!: number;
  @Field(() => DateTimeScalar, { nullable: true }) retiredAt!: string | null;
  /** For its region's field. */
  regionId!: string;
}

/** The contract's pool of network's: its prefix is the CIDR, what it can hand out its size, its live addresses what is used. */
export function ipPoolOf(view: PoolView): IpPool {
  return {
    id: view.id, regionId: view.regionId, family: view.family, cidr: view.prefix, gateway: view.gateway, bridge: view.bridge,
    size: view.usable, used: view.allocated, retiredAt: view.retiredAt,
  };
}

@InputType()
export class CreateIpPoolInput {
  @Field(() => ID) regionId!: string;
  @Field() cidr!: string;
  @Field() bridge!: string;
  @Field(() => String, { nullable: true }) gateway?: string | null;
  @Field(() => Int, { nullable: true }) assignmentLength?: number | null;
  @Field(() => [String], { nullable: true }) reserved?: string[] | null;
}
