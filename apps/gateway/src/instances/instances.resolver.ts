import { Args, Context, ID, Info, Int, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import {
  AppError, type HostView, type MaybeCountedPage, type ImageView, type InstanceHistoryEntry, type InstanceView, type IpView, type Page, type PlanView,
  type PriceView, type RegionView, type RequestOf,
} from '#libs/contracts';
import { inScope } from '#libs/messaging';
import { Account } from '../accounts/account.model.js';
import { Host, Image, Plan, Region } from '../catalog/catalog.model.js';
import { Money } from '../graphql/common.model.js';
import { selects } from '../graphql/connection.js';
import { InstanceStatus } from '../graphql/enums.js';
import { callerOf, requireResellersOwn, requireRole, viewerOf, type GatewayContext } from '../graphql/gateway-context.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';
import type { AccountView } from '../identity/identity.js';
import { IpAddress } from '../ips/ip-address.model.js';
import { mentionsHosts, tenantHistory } from './instance-history.js';
import { CreateInstanceInput, Instance, InstanceConnection, InstanceEventConnection } from './instance.model.js';
import { InstanceUpdates } from './instance-updates.js';

/** Who changes instances: their own account's (ADMIN anyone's). FINANCE reads only; a reseller sees its customers' but does not run them. */
export const OPERATORS = ['ADMIN', 'RESELLER', 'CUSTOMER'] as const;
/** How long a create waits for billing to learn of an account made a moment ago (it follows identity's events). */
const NEW_ACCOUNT_WAIT_MS = 5000;
/** How long compute has to answer a change to an instance. */
const CHANGE_TIMEOUT_MS = 15_000;

/** The changes to an existing instance that its own account (not a reseller over it) makes. */
type InstanceChange = 'compute.instance.start' | 'compute.instance.stop' | 'compute.instance.reboot' | 'compute.instance.resize' | 'compute.instance.delete';

/**
 * A new instance of `accountId` (created, or restored from a backup) is refused (BAD_USER_INPUT on
 * input.planId) where its plan has no price for the account: its usage could never be rated.
 */
export async function requirePriced(client: GatewayServiceClient, context: GatewayContext, accountId: string, planId: string): Promise<void> {
  const prices = await pricesOf(client, context, accountId);
  if (!prices.some((price) => price.sku === planId)) {
    throw AppError.badInput('input.planId', `plan ${planId} has no price for this account: choose a plan that plans { hourlyPrice } shows`);
  }
}

/**
 * The prices an account pays. Billing learns of a new account from identity's events a moment
 * after it is made: until then it does not know it (NOT_FOUND), and a create waits a little.
 */
async function pricesOf(client: GatewayServiceClient, context: GatewayContext, accountId: string): Promise<PriceView[]> {
  const deadline = Date.now() + NEW_ACCOUNT_WAIT_MS;
  for (let pause = 100; ; pause *= 2) {
    try {
      return await client.call('billing.price.list', { ...callerOf(context), accountId });
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'NOT_FOUND')) throw error;
      if (Date.now() + pause > deadline) throw AppError.unavailable(`billing does not know account ${accountId} yet: try again in a moment`);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

@Resolver(() => Instance)
export class InstancesResolver {
  constructor(
    private readonly client: GatewayServiceClient,
    private readonly updates: InstanceUpdates,
  ) {}

  @Query(() => Instance, { nullable: true, description: 'a deleted instance stays readable, with status DELETED and its history, for at least 13 months' })
  instance(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<InstanceView | null> {
    return this.client.call('compute.instance.get', { ...callerOf(context), id });
  }

  @Query(() => InstanceConnection, {
    description: "without accountId: everything the caller may see (a reseller's list includes its customers'); without status, every status but DELETED unless includeDeleted",
  })
  instances(
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
    @Args('status', { type: () => InstanceStatus, nullable: true }) status?: InstanceStatus,
    @Args('accountId', { type: () => ID, nullable: true }) accountId?: string,
    @Args('includeDeleted', { type: () => Boolean, nullable: true }) includeDeleted?: boolean,
    @Info() info?: GraphQLResolveInfo,
  ): Promise<MaybeCountedPage<InstanceView>> {
    const caller = callerOf(context);
    if (accountId && !inScope(accountId, caller)) throw AppError.notFound(`account ${accountId}`);
    // Compute counts the list only when totalCount is asked: a second query for every page otherwise.
    const count = info ? selects(info, 'totalCount') : true;
    return this.client.call('compute.instance.list', { ...caller, first, after, status, accountId, includeDeleted: includeDeleted ?? false, count });
  }

  /** Refused (BAD_USER_INPUT on input.planId) where the plan has no price for the caller's account: its usage could never be rated. */
  @Mutation(() => Instance)
  async createInstance(@Args('input') input: CreateInstanceInput, @Context() context: GatewayContext): Promise<InstanceView> {
    const viewer = requireRole(context, OPERATORS, 'create instances');
    await requirePriced(this.client, context, viewer.accountId, input.planId);
    return this.client.call('compute.instance.create', { ...callerOf(context), accountId: viewer.accountId, input }, CHANGE_TIMEOUT_MS);
  }

  @Mutation(() => Instance)
  startInstance(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext) {
    return this.operate(context, 'compute.instance.start', { ...callerOf(context), id });
  }

  @Mutation(() => Instance)
  stopInstance(
    @Args('id', { type: () => ID }) id: string,
    @Context() context: GatewayContext,
    @Args('force', { type: () => Boolean, nullable: true }) force?: boolean,
  ) {
    return this.operate(context, 'compute.instance.stop', { ...callerOf(context), id, force: force ?? false });
  }

  @Mutation(() => Instance)
  rebootInstance(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext) {
    return this.operate(context, 'compute.instance.reboot', { ...callerOf(context), id });
  }

  @Mutation(() => Instance)
  resizeInstance(@Args('id', { type: () => ID }) id: string, @Args('planId', { type: () => ID }) planId: string, @Context() context: GatewayContext) {
    return this.operate(context, 'compute.instance.resize', { ...callerOf(context), id, planId });
  }

  @Mutation(() => Instance)
  deleteInstance(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext) {
    return this.operate(context, 'compute.instance.delete', { ...callerOf(context), id });
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
    return this.client.call('compute.instance.migrate', { ...callerOf(context), id, hostId: hostId ?? null }, CHANGE_TIMEOUT_MS);
  }

  @Subscription(() => Instance, {
    description: "status changes of the caller's instances; of one instance where id is given",
  })
  async instanceUpdated(@Context() context: GatewayContext, @Args('id', { type: () => ID, nullable: true }) id?: string) {
    const viewer = viewerOf(context);
    if (id && !(await this.client.call('compute.instance.get', { ...callerOf(context), id }))) throw AppError.notFound(`instance ${id}`);
    return this.updates.subscribe(viewer, id ?? null);
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
    const plan = (await context.loaders.catalog('plans')).get(instance.planId);
    if (!plan) throw new AppError('INTERNAL', `compute knows no plan ${instance.planId}`);
    return plan;
  }

  @ResolveField(() => Image)
  async image(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<ImageView> {
    const image = (await context.loaders.catalog('images')).get(instance.imageId);
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
    return context.loaders.host.load(instance.hostId);
  }

  @ResolveField(() => Money, { description: 'what this instance has cost in the current billing period so far' })
  async costToDate(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<Money> {
    const cost = await context.loaders.costsToDate.load(instance.id);
    if (cost) return cost;
    // Not metered yet (billing learns of it a moment after compute): nothing so far.
    const account = await context.loaders.accounts.load(instance.accountId);
    return { amount: '0.00', currency: account?.currency ?? 'EUR' };
  }

  @ResolveField(() => InstanceEventConnection, { description: "the instance's own history, oldest first; host facts (its host, bridge, gateway) for ADMIN only" })
  async history(
    @Parent() instance: InstanceView,
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<Page<InstanceHistoryEntry>> {
    const page = await this.client.call('compute.instance.history', { ...callerOf(context), id: instance.id, first, after });
    if (viewerOf(context).role === 'ADMIN') return page;
    return tenantHistory(page, mentionsHosts(page) ? [...(await context.loaders.hosts()).values()] : []);
  }

  /** A change to an existing instance; a reseller makes it to its own, and only sees its customers'. */
  private async operate<S extends InstanceChange>(context: GatewayContext, subject: S, request: RequestOf<S>): Promise<InstanceView> {
    const viewer = requireRole(context, OPERATORS, `${subject.slice('compute.instance.'.length)} instances`);
    const { id } = request;
    await requireResellersOwn(viewer, () => this.client.call('compute.instance.get', { ...callerOf(context), id }), `instance ${id}`);
    return this.client.call(subject, request, CHANGE_TIMEOUT_MS);
  }
}
