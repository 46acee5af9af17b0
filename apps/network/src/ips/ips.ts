import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError, type EventMetadata, type IpFamily, isRfc1123Label, isUuid, type NetworkEvents, type Scope } from '#libs/contracts';
import { decideInTransaction, fold, handleCommand, withTransaction, type EventStore, type Sql } from '#libs/event-store';
import { accountsOf, decodeCursor, encodeCursor, inScope, pageSize, toPage, type Page } from '#libs/messaging';
import { formatAddress, normalizeHostname } from '../ip-range.js';
import { addressOfUnit, describePool, onLinkLength } from '../pools/pool.js';
import type { Pools } from '../pools/pools.js';
import type { AddressAllocator } from './address-allocator.js';
import { ipDecider, ipStreamId, type IpCommand, type TargetInstance } from './ip.decider.js';

/** An address as the API shows it (the contract's IpAddress, with ids for what it refers to). */
export interface IpView {
  id: string;
  address: string;
  family: IpFamily;
  prefixLength: number;
  gateway: string;
  poolId: string;
  regionId: string;
  accountId: string;
  instanceId: string | null;
  floating: boolean;
  reverseDns: string | null;
  allocatedAt: string;
  releasedAt: string | null;
}

export interface AllocateIpInput {
  regionId: string;
  family: IpFamily;
  /** Assign the new floating address to this instance at once. */
  instanceId?: string | null;
}

export interface IpListFilter extends Scope {
  first?: number;
  after?: string;
  instanceId?: string;
  /** Several instances' addresses in one request: the gateway's batched lookup. */
  instanceIds?: string[];
  includeReleased?: boolean;
}

const VIEW = `
  SELECT id, host(address) AS address, family, prefix_length AS "prefixLength", host(gateway) AS gateway, pool_id AS "poolId",
         region_id AS "regionId", account_id AS "accountId", instance_id AS "instanceId", floating, reverse_dns AS "reverseDns",
         allocated_at AS "allocatedAt", released_at AS "releasedAt", position
  FROM ip_addresses`;

type ViewRow = IpView & { position: string };
const toView = ({ position: _, ...view }: ViewRow): IpView => view;

const FAMILIES: readonly IpFamily[] = ['IPV4', 'IPV6'];

/**
 * Addresses from allocation to release: an instance's own (allocated with it by the addressing
 * consumer) and floating ones an account allocates, assigns, moves and releases itself.
 */
export class Ips {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly pools: Pools,
    private readonly allocator: AddressAllocator,
  ) {}

  /**
   * Claims an address of the region's family in the caller's transaction and appends its
   * IpAllocated there. Pools are tried oldest first; INSUFFICIENT_CAPACITY names them all when none has room.
   */
  async allocateIn(
    tx: Sql,
    request: { regionId: string; family: IpFamily; accountId: string; instanceId?: string; floating: boolean },
    metadata: EventMetadata,
  ): Promise<NetworkEvents['IpAllocated'] & { bridge: string }> {
    const pools = await this.pools.activeIn(tx, request.regionId, request.family);
    if (pools.length === 0) throw new AppError('INSUFFICIENT_CAPACITY', `region ${request.regionId} has no ${request.family} pool`);
    for (const pool of pools) {
      const ipId = randomUUID();
      const unit = await this.allocator.claim(tx, pool, ipId);
      if (unit === null) continue;
      const allocation: NetworkEvents['IpAllocated'] = {
        ipId, address: formatAddress(addressOfUnit(pool, unit)), family: pool.family, regionId: pool.regionId,
        accountId: request.accountId, ...(request.instanceId ? { instanceId: request.instanceId } : {}), floating: request.floating,
        poolId: pool.id, prefixLength: onLinkLength(pool), gateway: formatAddress(pool.gateway),
      };
      await this.store.append(ipStreamId(ipId), ipDecider.decide({ type: 'AllocateIp', allocation }, ipDecider.initialState()), {
        expectedVersion: 0, metadata, tx,
      });
      return { ...allocation, bridge: pool.bridge };
    }
    throw new AppError('INSUFFICIENT_CAPACITY', `no free ${request.family} address in region ${request.regionId}: pool ${pools.map(describePool).join(', pool ')} is exhausted`);
  }

  /** A floating address for the account, assigned to one of its instances when `instanceId` is given. */
  async allocateFloating(accountId: unknown, input: AllocateIpInput, instances: InstanceDirectory, metadata: EventMetadata): Promise<IpView> {
    if (typeof accountId !== 'string' || !accountId) throw AppError.badInput('accountId', 'is required');
    if (!isRfc1123Label(input?.regionId)) throw AppError.badInput('input.regionId', 'must be a region id');
    if (!FAMILIES.includes(input.family)) throw AppError.badInput('input.family', 'must be IPV4 or IPV6');
    const target = input.instanceId ? await instances.require(input.instanceId, { accountIds: [accountId] }) : null;
    if (target && target.regionId !== input.regionId) {
      throw AppError.badInput('input.instanceId', `the instance is in region ${target.regionId}, not ${input.regionId}`);
    }
    // Allocated and assigned in one transaction: a refused assignment leaves no address behind.
    const ip = await withTransaction(this.pool, async (tx) => {
      const allocated = await this.allocateIn(tx, { regionId: input.regionId, family: input.family, accountId, floating: true }, metadata);
      if (target) {
        const state = fold(ipDecider, [{ type: 'IpAllocated', data: allocated }]);
        const assigned = ipDecider.decide({ type: 'AssignIp', instance: target }, state);
        await this.store.append(ipStreamId(allocated.ipId), assigned, { expectedVersion: 1, metadata, tx });
      }
      return allocated;
    });
    return (await this.find(ip.ipId))!;
  }

  async assign(ipId: unknown, instanceId: unknown, scope: Scope, instances: InstanceDirectory, metadata: EventMetadata): Promise<IpView> {
    const ip = await this.require(ipId, scope);
    const instance = await instances.require(instanceId, { accountIds: [ip.accountId] });
    return this.decide(ip, { type: 'AssignIp', instance }, metadata);
  }

  async unassign(ipId: unknown, scope: Scope, metadata: EventMetadata): Promise<IpView> {
    return this.decide(await this.require(ipId, scope), { type: 'UnassignIp' }, metadata);
  }

  async release(ipId: unknown, scope: Scope, metadata: EventMetadata): Promise<IpView> {
    return this.decide(await this.require(ipId, scope), { type: 'ReleaseIp', bySystem: false }, metadata);
  }

  async setReverseDns(ipId: unknown, hostname: unknown, scope: Scope, metadata: EventMetadata): Promise<IpView> {
    const ip = await this.require(ipId, scope);
    const name = hostname === null || hostname === '' ? null : normalizeHostname(hostname);
    if (name === null && hostname !== null && hostname !== '') {
      throw AppError.badInput('hostname', 'must be a host name, not an address: dot-separated labels of a-z, 0-9 and -, e.g. mail.example.com');
    }
    return this.decide(ip, { type: 'SetReverseDns', hostname: name }, metadata);
  }

  /** What an ended instance held, in the caller's transaction: its own addresses are released, floating ones unassigned. */
  async releaseInstance(tx: Sql, instanceId: string, metadata: EventMetadata): Promise<void> {
    const { rows } = await tx.query<{ id: string; floating: boolean }>(
      'SELECT id, floating FROM ip_addresses WHERE instance_id = $1 AND released_at IS NULL',
      [instanceId],
    );
    for (const { id, floating } of rows) {
      const command: IpCommand = floating ? { type: 'UnassignIp' } : { type: 'ReleaseIp', bySystem: true };
      await decideInTransaction(this.store, tx, ipStreamId(id), ipDecider, command, metadata);
    }
  }

  async get(ipId: unknown, scope: Scope): Promise<IpView | null> {
    const view = typeof ipId === 'string' ? await this.find(ipId) : null;
    return view && inScope(view.accountId, scope) ? view : null;
  }

  /** Live addresses, oldest first; an instance's or several instances' when asked. */
  async list(filter: IpListFilter): Promise<Page<IpView> & { totalCount: number }> {
    const size = pageSize(filter.first);
    const after = decodeCursor('ip', filter.after);
    const instanceIds = filter.instanceIds ?? (filter.instanceId ? [filter.instanceId] : null);
    if (instanceIds && !instanceIds.every((id) => isUuid(String(id).toLowerCase()))) throw AppError.badInput('instanceId', 'must be an instance id');
    const where = `WHERE ($1::text[] IS NULL OR account_id = ANY($1)) AND ($2::uuid[] IS NULL OR instance_id = ANY($2))
                     AND (released_at IS NULL OR $3)`;
    const params = [accountsOf(filter), instanceIds, filter.includeReleased === true];
    const [{ rows }, count] = await Promise.all([
      this.pool.query<ViewRow>(`${VIEW} ${where} AND position > $4 ORDER BY position LIMIT $5`, [...params, after, size + 1]),
      this.pool.query<{ total: number }>(`SELECT count(*)::integer AS total FROM ip_addresses ${where}`, params),
    ]);
    return { ...toPage(rows, size, (row) => encodeCursor('ip', row.position), toView), totalCount: count.rows[0].total };
  }

  private async decide(ip: IpView, command: IpCommand, metadata: EventMetadata): Promise<IpView> {
    await handleCommand(this.store, ipStreamId(ip.id), ipDecider, command, metadata);
    return (await this.find(ip.id))!;
  }

  private async require(ipId: unknown, scope: Scope): Promise<IpView> {
    const view = await this.get(ipId, scope);
    if (!view) throw AppError.notFound(`IP address ${String(ipId)}`);
    return view;
  }

  private async find(ipId: string): Promise<IpView | null> {
    const id = ipId.toLowerCase();
    if (!isUuid(id)) return null;
    const { rows } = await this.pool.query<ViewRow>(`${VIEW} WHERE id = $1`, [id]);
    return rows[0] ? toView(rows[0]) : null;
  }
}

/** Network's read model of compute's instances, as far as addresses need it. */
export interface InstanceDirectory {
  /** The instance if it is in scope; NOT_FOUND otherwise, as another tenant's instance must be. */
  require(instanceId: unknown, scope: Scope): Promise<TargetInstance>;
}
