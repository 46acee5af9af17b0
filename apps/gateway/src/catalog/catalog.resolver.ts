import { Args, Context, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { AppError, type HostView, type ImageView, type PlanPrice, type PlanView, type PriceView, type RegionView } from '#libs/contracts';
import { callerOf, metadataOf, requireRole, viewerOf, type GatewayContext } from '../graphql/gateway-context.js';
import { InstanceKind } from '../graphql/enums.js';
import { Money } from '../graphql/common.model.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';
import { Identity, type Viewer } from '../identity/identity.js';
import { CreateRegionInput, Host, Image, Plan, Region, RegisterImageInput, SavePlanInput, SetPriceInput, SetStoragePriceInput, StoragePrice } from './catalog.model.js';

/** A plan with the price it is shown at, when that is not the caller's own (setPrice shows the reseller's customers' price). */
type PricedPlan = PlanView & { price?: PriceView };

@Resolver(() => Plan)
export class CatalogResolver {
  constructor(
    private readonly client: GatewayServiceClient,
    private readonly identity: Identity,
  ) {}

  @Query(() => [Region])
  regions(@Context() context: GatewayContext): Promise<RegionView[]> {
    viewerOf(context);
    return this.client.call('compute.catalog.regions', {});
  }

  /**
   * The plans the caller's account can be billed for: priced in its currency (its reseller's
   * price, or the platform's), as createInstance requires. ADMIN sees the retired ones too.
   */
  @Query(() => [Plan])
  async plans(@Context() context: GatewayContext, @Args('kind', { type: () => InstanceKind, nullable: true }) kind?: InstanceKind): Promise<PlanView[]> {
    const viewer = viewerOf(context);
    const [plans, prices] = await Promise.all([
      this.client.call('compute.catalog.plans', { kind, retired: viewer.role === 'ADMIN' }),
      this.pricesOf(context),
    ]);
    return plans.filter((plan) => prices.has(plan.id));
  }

  /** The AVAILABLE images; ADMIN sees every one, importing, failed and retired included. */
  @Query(() => [Image])
  images(@Context() context: GatewayContext, @Args('kind', { type: () => InstanceKind, nullable: true }) kind?: InstanceKind): Promise<ImageView[]> {
    const viewer = viewerOf(context);
    return this.client.call('compute.catalog.images', { kind, retired: viewer.role === 'ADMIN' });
  }

  @Mutation(() => Region)
  createRegion(@Args('input') input: CreateRegionInput, @Context() context: GatewayContext): Promise<RegionView> {
    requireRole(context, ['ADMIN'], 'create regions');
    return this.client.call('compute.catalog.region.create', { ...callerOf(context), input });
  }

  /**
   * A new plan, or a new name or prices of one. Billing takes the prices from the plan's event a
   * moment later, so the answer shows the price just saved: in the caller's currency, else the first.
   */
  @Mutation(() => Plan, { description: "a plan's size never changes (CONFLICT): save a new plan instead" })
  async savePlan(@Args('input') input: SavePlanInput, @Context() context: GatewayContext): Promise<PricedPlan> {
    const viewer = requireRole(context, ['ADMIN'], 'save plans');
    const { prices, ...plan } = await this.client.call('compute.catalog.plan.save', { ...callerOf(context), input });
    const currency = (await context.loaders.accounts.load(viewer.accountId))?.currency;
    const shown: PlanPrice = prices.find((price) => price.currency === currency) ?? prices[0];
    return {
      ...plan,
      price: { sku: plan.id, ownerId: 'platform', ...shown, stoppedHourlyPrice: null, stoppedMonthlyPrice: null },
    };
  }

  @Mutation(() => Plan)
  retirePlan(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<PlanView> {
    requireRole(context, ['ADMIN'], 'retire plans');
    return this.client.call('compute.catalog.plan.retire', { ...callerOf(context), id });
  }

  @Mutation(() => Image)
  registerImage(@Args('input') input: RegisterImageInput, @Context() context: GatewayContext): Promise<ImageView> {
    requireRole(context, ['ADMIN'], 'register images');
    return this.client.call('compute.catalog.image.register', { ...callerOf(context), input });
  }

  @Mutation(() => Image)
  retireImage(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<ImageView> {
    requireRole(context, ['ADMIN'], 'retire images');
    return this.client.call('compute.catalog.image.retire', { ...callerOf(context), id });
  }

  @ResolveField(() => Money, { description: "price per hour as the caller's account is charged (its reseller's prices where it has one)" })
  async hourlyPrice(@Parent() plan: PricedPlan, @Context() context: GatewayContext): Promise<Money> {
    const price = await this.priceOf(plan, context);
    return { amount: price.hourlyPrice, currency: price.currency };
  }

  @ResolveField(() => Money, { description: 'monthly price; for HOURLY billing it is also the monthly cap per instance' })
  async monthlyPrice(@Parent() plan: PricedPlan, @Context() context: GatewayContext): Promise<Money> {
    const price = await this.priceOf(plan, context);
    return { amount: price.monthlyPrice, currency: price.currency };
  }

  /**
   * What the platform charges a reseller for the plan: its price in the reseller's currency, which a
   * reseller sells above. The one request is shared by every plan of the operation (ServiceCalls).
   */
  @ResolveField(() => Money, {
    nullable: true,
    description: "for a RESELLER caller: what the platform charges the reseller per hour for this plan, in the reseller's currency; null for other roles",
  })
  async cost(@Parent() plan: PricedPlan, @Context() context: GatewayContext): Promise<Money | null> {
    const viewer = viewerOf(context);
    if (viewer.role !== 'RESELLER') return null;
    const reseller = await context.loaders.accounts.load(viewer.accountId);
    if (!reseller) return null;
    const prices = await this.client.call('billing.price.platform', { currency: reseller.currency });
    const price = prices.find((p) => p.sku === plan.id);
    return price ? { amount: price.hourlyPrice, currency: price.currency } : null;
  }

  /** ADMIN sets the platform's prices (or a reseller's); a reseller its customers'. Returns the plan at the new price. */
  @Mutation(() => Plan, { description: "returns the plan priced as the reseller's customers now see it" })
  async setPrice(@Args('input') input: SetPriceInput, @Context() context: GatewayContext): Promise<PricedPlan> {
    const viewer = requireRole(context, ['ADMIN', 'RESELLER'], 'set prices');
    const plan = (await context.loaders.catalog('plans')).get(input.planId);
    if (!plan) throw AppError.badInput('input.planId', `no plan ${input.planId}`);
    const owner = await this.priceListOf(input.accountId, viewer, null);
    const price = await this.client.call('billing.price.set', {
      ...callerOf(context),
      input: { ...owner, planId: plan.id, hourlyPrice: input.hourlyPrice, monthlyPrice: input.monthlyPrice },
    });
    return { ...plan, price };
  }

  /** A storage sku's price per GB-month, in the list setPrice would set a plan's in (billing decides who may set it). */
  @Mutation(() => StoragePrice, { description: "resellers (their customers' price) and ADMIN (the platform's, in a currency) set a storage sku's price per GB-month" })
  async setStoragePrice(@Args('input') input: SetStoragePriceInput, @Context() context: GatewayContext): Promise<StoragePrice> {
    const viewer = requireRole(context, ['ADMIN', 'RESELLER'], 'set prices');
    const owner = await this.priceListOf(input.accountId, viewer, input.currency ?? null);
    const price = await this.client.call('billing.price.setStorage', { ...callerOf(context), input: { ...owner, sku: input.sku, monthlyPrice: input.monthlyPrice } });
    return { sku: price.sku, currency: price.currency, monthlyPrice: { amount: price.monthlyPrice, currency: price.currency } };
  }

  /**
   * Whose price list a price is set in, as billing names it ("platform" is the null account): a reseller's
   * (the caller by default), or the platform's in `currency`, else in its own. Another tenant's is NOT_FOUND.
   */
  private async priceListOf(accountId: string | null | undefined, viewer: Viewer, currency: string | null): Promise<{ accountId: string | null; currency?: string }> {
    const target = await this.identity.account(accountId ?? viewer.accountId, viewer);
    if (!target) throw AppError.notFound(`account ${accountId}`);
    if (target.kind === 'PLATFORM') return { accountId: null, currency: currency ?? target.currency };
    return currency === null ? { accountId: target.id } : { accountId: target.id, currency };
  }

  private async priceOf(plan: PricedPlan, context: GatewayContext): Promise<PriceView> {
    if (plan.price) return plan.price;
    const price = (await this.pricesOf(context)).get(plan.id);
    if (!price) throw AppError.conflict(`plan ${plan.id} has no price for this account yet`);
    return price;
  }

  /** The caller's account's prices; billing learns of a new account a moment after it is made. */
  private async pricesOf(context: GatewayContext): Promise<Map<string, PriceView>> {
    try {
      return await context.loaders.prices.load(viewerOf(context).accountId);
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') throw AppError.unavailable('billing does not know this account yet: try again in a moment');
      throw error;
    }
  }
}

@Resolver(() => Host)
export class HostsResolver {
  constructor(private readonly client: GatewayServiceClient) {}

  @Query(() => [Host])
  hosts(@Context() context: GatewayContext): Promise<HostView[]> {
    requireRole(context, ['ADMIN'], 'see hosts');
    return this.client.call('compute.host.list', {});
  }

  @Mutation(() => Host)
  setHostMaintenance(
    @Args('id', { type: () => ID }) id: string,
    @Args('maintenance') maintenance: boolean,
    @Context() context: GatewayContext,
  ): Promise<HostView> {
    requireRole(context, ['ADMIN'], 'put hosts in maintenance');
    return this.client.call('compute.host.setMaintenance', { id, maintenance, metadata: metadataOf(context) });
  }

  @ResolveField(() => Region)
  region(@Parent() host: HostView, @Context() context: GatewayContext): Promise<RegionView> {
    return context.loaders.region(host.regionId);
  }
}
