import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ServiceClient } from '#libs/messaging';
import { Region } from '../catalog/catalog.model.js';
import { callerOf, requireResellersOwn, requireRole, type GatewayContext } from '../graphql/gateway-context.js';
import type { InstanceView, IpView, Page, RegionView } from '../graphql/service-views.js';
import { Instance } from '../instances/instance.model.js';
import { AllocateIpInput, IpAddress, IpAddressConnection } from './ip-address.model.js';

@Resolver(() => IpAddress)
export class IpAddressesResolver {
  constructor(private readonly client: ServiceClient) {}

  @Query(() => IpAddressConnection)
  ipAddresses(
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
    @Args('instanceId', { type: () => ID, nullable: true }) instanceId?: string,
  ): Promise<Page<IpView>> {
    return this.client.request('network.ip.list', { ...callerOf(context), first, after, instanceId });
  }

  @Mutation(() => IpAddress)
  allocateIp(@Args('input') input: AllocateIpInput, @Context() context: GatewayContext): Promise<IpView> {
    const viewer = requireRole(context, ['ADMIN', 'RESELLER', 'CUSTOMER'], 'allocate addresses');
    return this.client.request('network.ip.allocate', { ...callerOf(context), accountId: viewer.accountId, input });
  }

  @Mutation(() => IpAddress)
  assignIp(@Args('ipId', { type: () => ID }) ipId: string, @Args('instanceId', { type: () => ID }) instanceId: string, @Context() context: GatewayContext) {
    return this.operate('assign', { id: ipId, instanceId }, context);
  }

  @Mutation(() => IpAddress)
  unassignIp(@Args('ipId', { type: () => ID }) ipId: string, @Context() context: GatewayContext) {
    return this.operate('unassign', { id: ipId }, context);
  }

  @Mutation(() => IpAddress)
  releaseIp(@Args('ipId', { type: () => ID }) ipId: string, @Context() context: GatewayContext) {
    return this.operate('release', { id: ipId }, context);
  }

  @Mutation(() => IpAddress)
  setReverseDns(@Args('ipId', { type: () => ID }) ipId: string, @Args('hostname') hostname: string, @Context() context: GatewayContext) {
    return this.operate('reverseDns.set', { id: ipId, hostname }, context);
  }

  @ResolveField(() => Region)
  region(@Parent() ip: IpView, @Context() context: GatewayContext): Promise<RegionView> {
    return context.loaders.region(ip.regionId);
  }

  @ResolveField(() => Instance, { nullable: true })
  instance(@Parent() ip: IpView, @Context() context: GatewayContext): Promise<InstanceView | null> {
    return ip.instanceId ? context.loaders.instances.load(ip.instanceId) : Promise.resolve(null);
  }

  /** A change to an address: its own account's (ADMIN anyone's); a reseller sees its customers' addresses but does not move them. */
  private async operate(operation: string, payload: { id: string; instanceId?: string; hostname?: string }, context: GatewayContext): Promise<IpView> {
    const viewer = requireRole(context, ['ADMIN', 'RESELLER', 'CUSTOMER'], 'change addresses');
    const caller = callerOf(context);
    await requireResellersOwn(viewer, () => this.client.request<IpView | null>('network.ip.get', { ...caller, id: payload.id }), `address ${payload.id}`);
    return this.client.request(`network.ip.${operation}`, { ...caller, ...payload });
  }
}
