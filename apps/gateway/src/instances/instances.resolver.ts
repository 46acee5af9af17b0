import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { AppError, inScope, ServiceClient } from '#libs/messaging';
import { Account } from '../accounts/account.model.js';
import { Host, Image, Plan, Region } from '../catalog/catalog.model.js';
import { Money } from '../graphql/common.model.js';
import { InstanceStatus } from '../graphql/enums.js';
import { callerOf, requireResellersOwn, requireRole, viewerOf, type GatewayContext } from '../graphql/gateway-context.js';
import type { HostView, ImageView, InstanceView, IpView, Page, PlanView, RegionView } from '../graphql/service-views.js';
import type { AccountView } from '../identity/identity.js';
import { IpAddress } from '../ips/ip-address.model.js';
import { CreateInstanceInput, Instance, InstanceConnection, InstanceEventConnection } from './instance.model.js';
import { InstanceUpdates } from './instance-updates.js';

/** Who changes instances: their own account's (ADMIN anyone's). FINANCE reads only; a reseller sees its customers' but does not run them. */
const OPERATORS = ['ADMIN', 'RESELLER', 'CUSTOMER'] as const;

@Resolver(() => Instance)
export class InstancesResolver {
  constructor(
    private readonly client: ServiceClient,
    private readonly updates: InstanceUpdates,
  ) {}

  @Query(() => Instance, { nullable: true, description: 'a deleted instance stays readable, with status DELETED and its history, for at least 13 months' })
  instance(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<InstanceView | null> {
    return this.client.request('compute.instance.get', { ...callerOf(context), id });
  }

  @Query(() => InstanceConnection, { description: "without accountId: everything the caller may see (a reseller's list includes its customers')" })
  instances(
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
    @Args('status', { type: () => InstanceStatus, nullable: true }) status?: string,
    @Args('accountId', { type: () => ID, nullable: true }) accountId?: string,
  ): Promise<Page<InstanceView>> {
    const caller = callerOf(context);
    if (accountId && !inScope(accountId, caller)) throw AppError.notFound(`account ${accountId}`);
    return this.client.request('compute.instance.list', { ...caller, first, after, status, accountId });
  }

  @Mutation(() => Instance)
  createInstance(@Args('input') input: CreateInstanceInput, @Context() context: GatewayContext): Promise<InstanceView> {
    const viewer = requireRole(context, OPERATORS, 'create instances');
    return this.client.request('compute.instance.create', { ...callerOf(context), accountId: viewer.accountId, input }, 15_000);
  }

  @Mutation(() => Instance)
  startInstance(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext) {
    return this.operate('start', { id }, context);
  }

  @Mutation(() => Instance)
  stopInstance(
    @Args('id', { type: () => ID }) id: string,
    @Context() context: GatewayContext,
    @Args('force', { type: () => Boolean, nullable: true }) force?: boolean,
  ) {
    return this.operate('stop', { id, force: force ?? false }, context);
  }

  @Mutation(() => Instance)
  rebootInstance(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext) {
    return this.operate('reboot', { id }, context);
  }

  @Mutation(() => Instance)
  resizeInstance(@Args('id', { type: () => ID }) id: string, @Args('planId', { type: () => ID }) planId: string, @Context() context: GatewayContext) {
    return this.operate('resize', { id, planId }, context);
  }

  @Mutation(() => Instance)
  deleteInstance(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext) {
    return this.operate('delete', { id }, context);
  }

  @Mutation(() => Instance, {
    description: 'ADMIN: moves the instance to hostId, or to a host the scheduler chooses; a running VM moves live (beyond the contract)',
  })
  migrateInstance(
    @Args('id', { type: () => ID }) id: string,
    @Args('hostId', { type: () => ID, nullable: true }) hostId: string | null,
    @Context() context: GatewayContext,
  ) {
    requireRole(context, ['ADMIN'], 'migrate instances');
    return this.client.request('compute.instance.migrate', { ...callerOf(context), id, hostId: hostId ?? null }, 15_000);
  }

  @Subscription(() => Instance, {
    description: "status changes of the caller's instances; of one instance where id is given",
  })
  instanceUpdated(@Context() context: GatewayContext, @Args('id', { type: () => ID, nullable: true }) id?: string) {
    return this.updates.subscribe(viewerOf(context), id ?? null);
  }

  @ResolveField(() => Account)
  async account(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<AccountView> {
    return (await context.loaders.accounts.load(instance.accountId))!;
  }

  @ResolveField(() => Region)
  region(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<RegionView> {
    return context.loaders.region(instance.regionId);
  }

  @ResolveField(() => Plan)
  async plan(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<PlanView> {
    const plan = (await context.loaders.catalog()).plans.get(instance.planId);
    if (!plan) throw new AppError('INTERNAL', `compute knows no plan ${instance.planId}`);
    return plan;
  }

  @ResolveField(() => Image)
  async image(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<ImageView> {
    const image = (await context.loaders.catalog()).images.get(instance.imageId);
    if (!image) throw new AppError('INTERNAL', `compute knows no image ${instance.imageId}`);
    return image;
  }

  @ResolveField(() => [IpAddress])
  ipAddresses(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<IpView[]> {
    return context.loaders.instanceAddresses.load(instance.id);
  }

  @ResolveField(() => Host, { nullable: true, description: 'admin only; null for other roles' })
  async host(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<HostView | null> {
    if (viewerOf(context).role !== 'ADMIN' || !instance.hostId) return null;
    return (await context.loaders.hosts()).get(instance.hostId) ?? null;
  }

  @ResolveField(() => Money, { description: 'what this instance has cost in the current billing period so far' })
  async costToDate(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<Money> {
    const cost = await context.loaders.costsToDate.load(instance.id);
    if (cost) return cost;
    // Not metered yet (billing learns of it a moment after compute): nothing so far.
    const account = await context.loaders.accounts.load(instance.accountId);
    return { amount: '0.00', currency: account?.currency ?? 'EUR' };
  }

  @ResolveField(() => InstanceEventConnection, { description: "the instance's own history, oldest first" })
  history(
    @Parent() instance: InstanceView,
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ) {
    return this.client.request('compute.instance.history', { ...callerOf(context), id: instance.id, first, after });
  }

  /** An operation on an existing instance; a reseller runs its own, and only sees its customers'. */
  private async operate(operation: string, payload: { id: string; force?: boolean; planId?: string }, context: GatewayContext): Promise<InstanceView> {
    const viewer = requireRole(context, OPERATORS, `${operation} instances`);
    const caller = callerOf(context);
    await requireResellersOwn(viewer, () => this.client.request<InstanceView | null>('compute.instance.get', { ...caller, id: payload.id }), `instance ${payload.id}`);
    return this.client.request(`compute.instance.${operation}`, { ...caller, ...payload }, 15_000);
  }
}
