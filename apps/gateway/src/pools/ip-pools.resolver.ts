import { Args, Context, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { AppError, type RegionView } from '#libs/contracts';
import { Region } from '../catalog/catalog.model.js';
import { metadataOf, requireRole, type GatewayContext } from '../graphql/gateway-context.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';
import { CreateIpPoolInput, IpPool, ipPoolOf } from './ip-pool.model.js';

/** Network checks a new pool against the other pools, then compute asks the region's hosts (within 5 s): more than a plain request's wait. */
const CREATE_TIMEOUT_MS = 10_000;

/** Network names the pool's prefix `prefix` where the contract says `cidr`: its refusals are put in the contract's words. */
function inContractTerms(error: unknown): never {
  if (error instanceof AppError && error.field === 'input.prefix') {
    throw AppError.badInput('input.cidr', error.message.replace(/^input\.prefix: /, ''));
  }
  throw error;
}

/** The region's address pools: ADMIN's alone. */
@Resolver(() => IpPool)
export class IpPoolsResolver {
  constructor(private readonly client: GatewayServiceClient) {}

  @Query(() => [IpPool], { description: 'ADMIN' })
  async ipPools(@Context() context: GatewayContext, @Args('regionId', { type: () => ID, nullable: true }) regionId?: string): Promise<IpPool[]> {
    requireRole(context, ['ADMIN'], 'see address pools');
    // Retired pools too: their addresses stay in use until released.
    return (await this.client.call('network.pool.list', { regionId: regionId ?? undefined, includeRetired: true })).map(ipPoolOf);
  }

  @Mutation(() => IpPool)
  async createIpPool(@Args('input') input: CreateIpPoolInput, @Context() context: GatewayContext): Promise<IpPool> {
    requireRole(context, ['ADMIN'], 'create address pools');
    await context.loaders.requireRegion(input.regionId, 'input.regionId');
    const pool = await this.client.call('network.pool.create', {
      input: {
        regionId: input.regionId, prefix: input.cidr, bridge: input.bridge,
        gateway: input.gateway ?? undefined, assignmentLength: input.assignmentLength ?? undefined, reserved: input.reserved ?? undefined,
      },
      metadata: metadataOf(context),
    }, CREATE_TIMEOUT_MS).catch(inContractTerms);
    return ipPoolOf(pool);
  }

  @Mutation(() => IpPool)
  async retireIpPool(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<IpPool> {
    requireRole(context, ['ADMIN'], 'retire address pools');
    return ipPoolOf(await this.client.call('network.pool.retire', { id, metadata: metadataOf(context) }));
  }

  @ResolveField(() => Region)
  region(@Parent() pool: IpPool, @Context() context: GatewayContext): Promise<RegionView> {
    return context.loaders.region(pool.regionId);
  }
}
