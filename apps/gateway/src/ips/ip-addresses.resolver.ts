import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { CountedPage, InstanceView, IpView, RegionView, RequestOf } from '#libs/contracts';
import { Region } from '../catalog/catalog.model.js';
import { callerOf, requireResellersOwn, requireRole, type GatewayContext } from '../graphql/gateway-context.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';
import { Instance } from '../instances/instance.model.js';
import { AllocateIpInput, IpAddress, IpAddressConnection } from './ip-address.model.js';

/** Who changes addresses: their own account's (ADMIN anyone's); FINANCE reads only. */
const OPERATORS = ['ADMIN', 'RESELLER', 'CUSTOMER'] as const;

/** The changes to an existing address that its own account (not a reseller over it) makes. */
type IpChange = 'network.ip.assign' | 'network.ip.unassign' | 'network.ip.release' | 'network.ip.reverseDns.set';

@Resolver(() => IpAddress)
export class IpAddressesResolver {
  constructor(private readonly client: GatewayServiceClient) {}

  @Query(() => IpAddressConnection)
  ipAddresses(
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
    @Args('instanceId', { type: () => ID, nullable: true }) instanceId?: string,
  ): Promise<CountedPage<IpView>> {
    return this.client.call('network.ip.list', { ...callerOf(context), first, after, instanceId });
  }

  @Mutation(() => IpAddress)
  async allocateIp(@Args('input') input: AllocateIpInput, @Context() context: GatewayContext): Promise<IpView> {
    const viewer = requireRole(context, OPERATORS, 'allocate addresses');
    // Network knows regions by their pools only: one it has none in may be no region at all.
    await context.loaders.requireRegion(input.regionId, 'input.regionId');
    return this.client.call('network.ip.allocate', { ...callerOf(context), accountId: viewer.accountId, input });
  }

  @Mutation(() => IpAddress)
  assignIp(@Args('ipId', { type: () => ID }) ipId: string, @Args('instanceId', { type: () => ID }) instanceId: string, @Context() context: GatewayContext) {
    return this.operate(context, 'network.ip.assign', { ...callerOf(context), id: ipId, instanceId });
  }

  @Mutation(() => IpAddress)
  unassignIp(@Args('ipId', { type: () => ID }) ipId: string, @Context() context: GatewayContext) {
    return this.operate(context, 'network.ip.unassign', { ...callerOf(context), id: ipId });
  }

  @Mutation(() => IpAddress)
  releaseIp(@Args('ipId', { type: () => ID }) ipId: string, @Context() context: GatewayContext) {
    return this.operate(context, 'network.ip.release', { ...callerOf(context), id: ipId });
  }

  @Mutation(() => IpAddress)
  setReverseDns(@Args('ipId', { type: () => ID }) ipId: string, @Args('hostname') hostname: string, @Context() context: GatewayContext) {
    return this.operate(context, 'network.ip.reverseDns.set', { ...callerOf(context), id: ipId, hostname });
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
  private async operate<S extends IpChange>(context: GatewayContext, subject: S, request: RequestOf<S>): Promise<IpView> {
    const viewer = requireRole(context, OPERATORS, 'change addresses');
    const { id } = request;
    await requireResellersOwn(viewer, () => this.client.call('network.ip.get', { ...callerOf(context), id }), `address ${id}`);
    return this.client.call(subject, request);
  }
}
