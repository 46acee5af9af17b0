import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type AllocateIpInput, AppError, type CountedPage, type EventMetadata, formatAddress, type IpFamily, type IpListRequest, type IpView, isRfc1123Label, isUuid, type NetworkEvents, type Scope } from '#libs/contracts';
import { fold, readState, withRetriedTransaction, type EventStore, type SessionSettings, type Sql, type StreamAppend } from '#libs/event-store';
import { accountsOf, decodeCursor, encodeCursor, inScope, pageSize, toPage } from '#libs/messaging';
import { heldAtLimit } from '../account-limits.js';
import type { InstancesRepository } from '../instance-addressing/instances.repository.js';
import { normalizeHostname } from '../ip-range.js';
import { addressOfUnit, describePool, onLinkLength, type Pool } from '../pools/pool.js';
import type { PoolsRepository } from '../pools/pools.repository.js';
import type { AddressAllocator } from './address-allocator.js';
import type { Zones } from '../dns/zones.js';
import type { InstanceFilters } from '../firewalls/instance-filters.js';
import { ipDecider, ipStreamId, type IpCommand, type IpEvent, type IpState, type TargetInstance } from './ip.decider.js';
import type { IpsRepository } from './ips.repository.js';

/** Both families, in the order an instance is given its addresses. */
export const FAMILIES: readonly IpFamily[] = ['IPV4', 'IPV6'];

/** An address asked for: an instance's own (`instanceId`, not floating), or an account's floating one. */
export interface AddressRequest {
  regionId: string;
  family: IpFamily;
  accountId: string;
  instanceId?: string;
  floating: boolean;
}

/** An address claimed in a transaction, and its IpAllocated for that transaction to append (its stream is new). */
export interface ClaimedAddress {
  allocation: NetworkEvents['IpAllocated'];
  /** Its pool's bridge, which an instance's interface goes on. */
  bridge: string;
  append: StreamAppend;
}

/** An account's floating addresses and their quarantine, as FLOATING_IPS_PER_ACCOUNT and IP_QUARANTINE_SECONDS set them. */
export interface FloatingLimit {
  perAccount: number;
  quarantineSeconds: number;
}

/** What PostgreSQL's check of an account's floating addresses at each commit reads from network's sessions (migration 0261). */
export const floatingLimitSettings = ({ perAccount, quarantineSeconds }: FloatingLimit): SessionSettings => ({
  'awan.floating_ips_per_account': perAccount,
  'awan.ip_quarantine_seconds': quarantineSeconds,
});

/** The instances whose own addresses these events of an address change: the one it leaves, the one it goes to. */
function instancesChangedBy(state: IpState, events: readonly IpEvent[]): string[] {
  return events.flatMap((event) => {
    if (event.type === 'IpAssigned') return [event.data.instanceId];
    if ((event.type === 'IpUnassigned' || event.type === 'IpReleased') && state.instanceId) return [state.instanceId];
    return [];
  });
}

/**
 * Addresses from allocation to release: an instance's own (allocated with it by the addressing
 * consumer) and floating ones an account allocates, assigns, moves and releases itself. An
 * instance's host lets it send only from its addresses: each change to them changes its filter.
 */
export class Ips {
  /** Each region's active pools of a family, oldest first, as this process last read them. */
  private readonly regionPools = new Map<string, Pool[]>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly ips: IpsRepository,
    private readonly pools: PoolsRepository,
    private readonly instances: InstancesRepository,
    private readonly allocator: AddressAllocator,
    private readonly filters: InstanceFilters,
    /**
     * FLOATING_IPS_PER_ACCOUNT, and the quarantine through which a released one still counts: else an
     * account allocating and releasing would put a whole pool in quarantine, and every tenant's creates fail.
     * PostgreSQL checks them (floatingLimitSettings); here they are for the refusal's words.
     */
    private readonly floating: FloatingLimit,
    private readonly zones: Pick<Zones, 'platformDomains'>,
  ) {}

  /** Claims an address (claimIn) and appends its IpAllocated, in the caller's transaction. */
  private async allocateIn(tx: Sql, request: AddressRequest, metadata: EventMetadata): Promise<NetworkEvents['IpAllocated'] & { bridge: string; allocatedAt: string }> {
    const { allocation, bridge, append } = await this.claimIn(tx, request);
    const [allocated] = await this.store.append(append.streamId, append.events, { expectedVersion: 0, metadata, tx });
    return { ...allocation, bridge, allocatedAt: allocated.occurredAt };
  }

  /**
   * Claims an address of the region's family in the caller's transaction, whose IpAllocated the
   * caller appends there. Pools are tried oldest first; INSUFFICIENT_CAPACITY names them all when none has room.
   * They are the region's pools as this process last read them (a pool never changes but for its
   * retirement, which each claim checks), read again once one has no room: a pool created since
   * comes after them, and one retired is left out.
   */
  async claimIn(tx: Sql, request: AddressRequest): Promise<ClaimedAddress> {
    const key = `${request.regionId} ${request.family}`;
    const read = async () => {
      const active = await this.pools.activeIn(tx, request.regionId, request.family);
      this.regionPools.set(key, active);
      return active;
    };
    let fresh = !this.regionPools.has(key);
    let pools = this.regionPools.get(key) ?? await read();
    const tried = new Set<string>();
    for (;;) {
      for (const pool of pools.filter((p) => !tried.has(p.id))) {
        tried.add(pool.id);
        const ipId = randomUUID();
        const unit = await this.allocator.claim(tx, pool, ipId);
        if (unit === null) {
          if (fresh) continue;
          break; // full or retired: the list is read again
        }
        const allocation: NetworkEvents['IpAllocated'] = {
          ipId, address: formatAddress(addressOfUnit(pool, unit)), family: pool.family, regionId: pool.regionId,
          accountId: request.accountId, ...(request.instanceId ? { instanceId: request.instanceId } : {}), floating: request.floating,
          poolId: pool.id, prefixLength: onLinkLength(pool), gateway: formatAddress(pool.gateway),
        };
        const events = ipDecider.decide({ type: 'AllocateIp', allocation }, ipDecider.initialState());
        return { allocation, bridge: pool.bridge, append: { streamId: ipStreamId(ipId), events, expectedVersion: 0 } };
      }
      if (fresh) break;
      [pools, fresh] = [await read(), true];
    }
    if (pools.length === 0) throw new AppError('INSUFFICIENT_CAPACITY', `region ${request.regionId} has no ${request.family} pool`);
    throw new AppError('INSUFFICIENT_CAPACITY', `no free ${request.family} address in region ${request.regionId}: pool ${pools.map(describePool).join(', pool ')} is exhausted`);
  }

  /** A floating address for the account (one of the caller's), assigned to one of its instances when `instanceId` is given. */
  async allocateFloating(accountId: unknown, input: AllocateIpInput, scope: Scope, metadata: EventMetadata): Promise<IpView> {
    if (typeof accountId !== 'string' || !accountId) throw AppError.badInput('accountId', 'is required');
    if (!inScope(accountId, scope)) throw new AppError('FORBIDDEN', `account ${accountId} is not one the caller acts for`);
    if (!isRfc1123Label(input?.regionId)) throw AppError.badInput('input.regionId', 'must be a region id');
    if (!FAMILIES.includes(input.family)) throw AppError.badInput('input.family', 'must be IPV4 or IPV6');
    // Only absent is "no instance": an empty id names none, and would leave an unassigned address the caller did not ask for.
    const target = input.instanceId === undefined || input.instanceId === null ? null : await this.requireInstance(input.instanceId, { accountIds: [accountId] });
    if (target && target.regionId !== input.regionId) {
      throw AppError.badInput('input.instanceId', `the instance is in region ${target.regionId}, not ${input.regionId}`);
    }
    // Allocated and assigned in one transaction: a refused assignment leaves no address behind. The
    // account's floating addresses are counted at its commit (migration 0261), the new one among them.
    const ip = await withRetriedTransaction(this.pool, async (tx) => {
      // The instance first, as its end takes it before the addresses it releases.
      const locked = target ? await this.lockedInstance(tx, target) : null;
      const allocated = await this.allocateIn(tx, { regionId: input.regionId, family: input.family, accountId, floating: true }, metadata);
      if (locked) {
        const state = fold(ipDecider, [{ type: 'IpAllocated', data: allocated }]);
        const assigned = ipDecider.decide({ type: 'AssignIp', instance: locked }, state);
        await this.store.append(ipStreamId(allocated.ipId), assigned, { expectedVersion: 1, metadata, tx });
        await this.filters.changed(tx, instancesChangedBy(state, assigned), metadata);
      }
      return allocated;
    }).catch((error: unknown) => {
      throw this.floatingLimitRefusal(error, accountId, input.regionId) ?? error;
    });
    // As the projection holds it now, without reading it back.
    return {
      id: ip.ipId, address: ip.address, family: ip.family, prefixLength: ip.prefixLength, gateway: ip.gateway, poolId: ip.poolId,
      regionId: ip.regionId, accountId, instanceId: target?.instanceId ?? null, floating: true, reverseDns: null,
      allocatedAt: ip.allocatedAt, releasedAt: null,
    };
  }

  /** QUOTA_EXCEEDED where the commit was refused for the account's floating addresses; null for any other error. */
  private floatingLimitRefusal(error: unknown, accountId: string, regionId: string): AppError | null {
    const held = heldAtLimit(error);
    if (held === null) return null;
    const { perAccount, quarantineSeconds } = this.floating;
    return new AppError(
      'QUOTA_EXCEEDED',
      `account ${accountId} may have ${perAccount} floating addresses in region ${regionId}, counting those it released in the last ${quarantineSeconds} s ` +
        `(they rest before anyone gets them again); it has ${held}`,
    );
  }

  async assign(ipId: unknown, instanceId: unknown, scope: Scope, metadata: EventMetadata): Promise<IpView> {
    const ip = await this.require(ipId, scope);
    const instance = await this.requireInstance(instanceId, { accountIds: [ip.accountId] });
    await withRetriedTransaction(this.pool, async (tx) => {
      const command: IpCommand = { type: 'AssignIp', instance: await this.lockedInstance(tx, instance) };
      await this.filters.changed(tx, await this.decideIn(tx, ip.id, command, metadata), metadata);
    });
    return (await this.ips.find(ip.id))!;
  }

  /**
   * The instance an address is being assigned to, its row locked until the assignment commits: its
   * end (which releases what it holds) waits for the assignment and releases it too, or came first
   * and the assignment sees it ended. Read before the lock, it could end in between, and hold a
   * floating address assigned after its end.
   */
  private async lockedInstance(tx: Sql, instance: TargetInstance): Promise<TargetInstance> {
    return (await this.instances.lock(tx, instance.instanceId)) ?? instance;
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
    // The platform's names are its own and its instances': one would pass this address off as another
    // tenant's instance, or the platform itself. Without a PTR set, the address is named for its instance.
    const platform = name === null ? undefined : (await this.zones.platformDomains()).find((domain) => name === domain || name.endsWith(`.${domain}`));
    if (platform) throw AppError.badInput('hostname', `names in ${platform} are the platform's: set a name of your own domain, or none for the instance's own`);
    return this.decide(ip, { type: 'SetReverseDns', hostname: name }, metadata);
  }

  /** What an ended instance held, in the caller's transaction: its own addresses are released, floating ones unassigned. */
  async releaseInstance(tx: Sql, instanceId: string, metadata: EventMetadata): Promise<void> {
    const changed: string[] = [];
    for (const { id, floating } of await this.ips.heldBy(tx, instanceId)) {
      const command: IpCommand = floating ? { type: 'UnassignIp' } : { type: 'ReleaseIp', bySystem: true };
      changed.push(...await this.decideIn(tx, id, command, metadata));
    }
    await this.filters.changed(tx, changed, metadata);
  }

  async get(ipId: unknown, scope: Scope): Promise<IpView | null> {
    const view = await this.find(ipId);
    return view && inScope(view.accountId, scope) ? view : null;
  }

  /** Live addresses, oldest first; an instance's or several instances' when asked. */
  async list(request: IpListRequest, scope: Scope): Promise<CountedPage<IpView>> {
    const size = pageSize(request.first);
    const after = decodeCursor('ip', request.after);
    const instanceIds = request.instanceIds ?? (request.instanceId ? [request.instanceId] : null);
    if (instanceIds && !instanceIds.every((id) => isUuid(String(id).toLowerCase()))) throw AppError.badInput('instanceId', 'must be an instance id');
    const { ips, totalCount } = await this.ips.list({
      accountIds: accountsOf(scope), instanceIds, includeReleased: request.includeReleased === true, after, limit: size + 1,
    });
    return { ...toPage(ips, size, (row) => encodeCursor('ip', row.position), (row) => row.ip), totalCount };
  }

  /** Decides in a transaction of its own, retried whole on a concurrent change (of the address, or of an instance's filter). */
  private async decide(ip: IpView, command: IpCommand, metadata: EventMetadata): Promise<IpView> {
    await withRetriedTransaction(this.pool, async (tx) => this.filters.changed(tx, await this.decideIn(tx, ip.id, command, metadata), metadata));
    return (await this.ips.find(ip.id))!;
  }

  /** Decides on the address in the caller's transaction; answers the instances whose filters it changed. */
  private async decideIn(tx: Sql, ipId: string, command: IpCommand, metadata: EventMetadata): Promise<string[]> {
    const { state, version } = await readState(this.store, ipStreamId(ipId), ipDecider, tx);
    const events = ipDecider.decide(command, state);
    await this.store.append(ipStreamId(ipId), events, { expectedVersion: version, metadata, tx });
    return instancesChangedBy(state, events);
  }

  private async require(ipId: unknown, scope: Scope): Promise<IpView> {
    const view = await this.get(ipId, scope);
    if (!view) throw AppError.notFound(`IP address ${String(ipId)}`);
    return view;
  }

  private async find(ipId: unknown): Promise<IpView | null> {
    const id = typeof ipId === 'string' ? ipId.toLowerCase() : '';
    return isUuid(id) ? this.ips.find(id) : null;
  }

  /** The instance if it is in scope; NOT_FOUND otherwise, as another tenant's instance must be. */
  private async requireInstance(instanceId: unknown, scope: Scope): Promise<TargetInstance> {
    const instance = typeof instanceId === 'string' ? await this.instances.find(instanceId) : null;
    if (!instance || !inScope(instance.accountId, scope)) throw AppError.notFound(`instance ${String(instanceId)}`);
    return instance;
  }
}
