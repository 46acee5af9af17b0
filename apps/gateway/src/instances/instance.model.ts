import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { connectionTypes } from '../graphql/connection.js';
import { BillingCycle, InstanceKind, InstanceStatus } from '../graphql/enums.js';
import { DateTimeScalar } from '../graphql/scalars.js';

@ObjectType()
export class Instance {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => InstanceKind) kind!: string;
  @Field(() => InstanceStatus) status!: string;
  @Field(() => BillingCycle) billingCycle!: string;
  @Field({ description: 'fully qualified name: <name>.<region>.<dnsZone>' }) fqdn!: string;
  @Field(() => DateTimeScalar) createdAt!: string;
}
export const InstanceConnection = connectionTypes(Instance, 'Instance', { totalCount: true });

@ObjectType()
export class InstanceEvent {
  @Field(() => ID) id!: string;
  @Field() type!: string;
  @Field(() => DateTimeScalar) occurredAt!: string;
  @Field({ description: "the event's data as JSON" }) data!: string;
}
export const InstanceEventConnection = connectionTypes(InstanceEvent, 'InstanceEvent', { totalCount: false });

@InputType()
export class CreateInstanceInput {
  @Field() name!: string;
  @Field(() => InstanceKind) kind!: 'VM' | 'CONTAINER';
  @Field(() => ID) imageId!: string;
  @Field(() => ID) planId!: string;
  @Field(() => ID) regionId!: string;
  @Field(() => BillingCycle) billingCycle!: 'HOURLY' | 'MONTHLY';
  @Field(() => [String], { nullable: true }) sshKeys?: string[] | null;
  @Field(() => String, { nullable: true }) userData?: string | null;
  @Field(() => String, { nullable: true, description: "the same key within 24 hours returns the first call's instance and creates nothing" })
  idempotencyKey?: string | null;
}
