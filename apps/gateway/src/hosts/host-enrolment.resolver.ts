import { Args, Context, Field, ID, InputType, Mutation, ObjectType, Resolver } from '@nestjs/graphql';
import type { HostEnrollmentView, HostView } from '#libs/contracts';
import { Host } from '../catalog/catalog.model.js';
import { callerOf, requireRole, type GatewayContext } from '../graphql/gateway-context.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';

@InputType()
export class EnrollHostInput {
  @Field(() => ID) id!: string;
  @Field(() => ID) regionId!: string;
}

@ObjectType()
export class HostEnrollment {
  @Field(() => Host, { description: "DOWN, with no capacity, until its agent's first heartbeat" }) host!: HostView;
  @Field({ description: 'what the host agent connects to NATS with; shown once' }) credentials!: string;
}

/** ADMIN's hosts joining and leaving: compute issues and revokes their agents' NATS credentials. */
@Resolver(() => HostEnrollment)
export class HostEnrolmentResolver {
  constructor(private readonly client: GatewayServiceClient) {}

  @Mutation(() => HostEnrollment)
  enrollHost(@Args('input') input: EnrollHostInput, @Context() context: GatewayContext): Promise<HostEnrollmentView> {
    requireRole(context, ['ADMIN'], 'enroll hosts');
    return this.client.call('compute.host.enroll', { ...callerOf(context), input: { id: input.id, regionId: input.regionId } });
  }

  @Mutation(() => Host, { description: "ADMIN, beyond the contract: the host leaves; its agent's credentials stop working at once, and its instances are restarted elsewhere once it is DOWN" })
  retireHost(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<HostView> {
    requireRole(context, ['ADMIN'], 'retire hosts');
    return this.client.call('compute.host.retire', { ...callerOf(context), id });
  }
}
