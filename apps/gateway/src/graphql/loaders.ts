import DataLoader from 'dataloader';
import {
  AppError, PLATFORM_SCOPE, type BackupScheduleView, type FirewallView, type HostView, type ImageView, type InstanceView, type IpView, type Page, type PlanView, type PriceView, type RegionView,
  type ResourceCostView, type Scope, type SnapshotView,
} from '#libs/contracts';
import type { AccountView, Identity } from '../identity/identity.js';
import type { GatewayServiceClient } from './service-calls.js';

const BATCH = 100;

export interface Catalog {
  regions: Map<string, RegionView>;
  plans: Map<string, PlanView>;
  images: Map<string, ImageView>;
}

const byId = <Row extends { id: string }>(rows: Row[]) => new Map(rows.map((row) => [row.id, row]));

/** One value per key, in the keys' order, from rows that may lack some keys. */
function inOrder<K, V, R>(keys: readonly K[], rows: R[], keyOf: (row: R) => K, valueOf: (rows: R[]) => V): V[] {
  const grouped = new Map<K, R[]>();
  for (const row of rows) {
    const group = grouped.get(keyOf(row)) ?? [];
    group.push(row);
    grouped.set(keyOf(row), group);
  }
  return keys.map((key) => valueOf(grouped.get(key) ?? []));
}

/**
 * The lookups a request's fields share, batched: however many rows a query returns, each kind
 * of related thing costs one request to its service (DataLoader), and the catalog one per request.
 */
export class Loaders {
  constructor(
    private readonly client: GatewayServiceClient,
    private readonly identity: Identity,
    private readonly scope: Scope,
  ) {}

  /** Accounts by id, whatever the scope: a relation the caller reaches (an instance's account) is checked where it starts. */
  readonly accounts = new DataLoader<string, AccountView | null>(async (ids) => {
    const rows = await this.identity.accounts(ids, { accountIds: PLATFORM_SCOPE });
    return inOrder(ids, rows, (row) => row.id, (found) => found[0] ?? null);
  }, { maxBatchSize: BATCH });

  readonly instances = new DataLoader<string, InstanceView | null>(async (ids) => {
    // By id, as instance(id) does: a deleted instance is still found.
    const page = await this.client.call('compute.instance.list', { accountIds: this.scope.accountIds, ids: [...ids], first: BATCH, includeDeleted: true, count: false });
    return inOrder(ids, page.edges.map((e) => e.node), (row) => row.id, (found) => found[0] ?? null);
  }, { maxBatchSize: BATCH });

  /** The instance a thing of it names (a snapshot's, a backup's): found deleted or not, as compute keeps every instance. */
  async instanceOf(instanceId: string, of: string): Promise<InstanceView> {
    const instance = await this.instances.load(instanceId);
    if (!instance) throw new AppError('INTERNAL', `compute knows no instance ${instanceId} of ${of}`);
    return instance;
  }

  /** Each instance's live addresses: one request for many instances, paged through when they have more than a page. */
  readonly instanceAddresses = new DataLoader<string, IpView[]>(async (instanceIds) => {
    const rows: IpView[] = [];
    for (let after: string | undefined; ;) {
      const page: Page<IpView> = await this.client.call('network.ip.list', { accountIds: this.scope.accountIds, instanceIds: [...instanceIds], first: BATCH, after });
      rows.push(...page.edges.map((e) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? undefined;
    }
    return inOrder(instanceIds, rows, (row) => row.instanceId!, (found) => found);
  }, { maxBatchSize: BATCH / 4 });

  /** Each instance's snapshots but deleted ones, oldest first. */
  readonly instanceSnapshots = new DataLoader<string, SnapshotView[]>(async (instanceIds) => {
    const rows = await this.client.call('compute.snapshot.list', { accountIds: this.scope.accountIds, instanceIds: [...instanceIds] });
    return inOrder(instanceIds, rows, (row) => row.instanceId, (found) => found);
  }, { maxBatchSize: BATCH });

  /** Each instance's backup schedule; null where it has none. */
  readonly instanceBackupSchedules = new DataLoader<string, BackupScheduleView | null>(async (instanceIds) => {
    const rows = await this.client.call('compute.backup.schedule.list', { accountIds: this.scope.accountIds, instanceIds: [...instanceIds] });
    return inOrder(instanceIds, rows, (row) => row.instanceId, (found) => found[0] ?? null);
  }, { maxBatchSize: BATCH });

  /** The firewalls attached to each instance. */
  readonly instanceFirewalls = new DataLoader<string, FirewallView[]>(async (instanceIds) => {
    const rows = await this.client.call('network.firewall.ofInstances', { accountIds: this.scope.accountIds, instanceIds: [...instanceIds] });
    return inOrder(instanceIds, rows, (row) => row.instanceId, (found) => found[0]?.firewalls ?? []);
  }, { maxBatchSize: BATCH });

  /** What each instance has cost this month so far; null where billing has not metered it yet. */
  readonly costsToDate = new DataLoader<string, ResourceCostView | null>(async (resourceIds) => {
    const rows = await this.client.call('billing.resource.costsToDate', { accountIds: this.scope.accountIds, resourceIds: [...resourceIds] });
    return inOrder(resourceIds, rows, (row) => row.resourceId, (found) => found[0] ?? null);
  }, { maxBatchSize: BATCH });

  /** An account's prices, as billing charges it (its reseller's where it has one). */
  readonly prices = new DataLoader<string, Map<string, PriceView>>(async (accountIds) =>
    Promise.all(accountIds.map(async (accountId) => {
      const prices = await this.client.call('billing.price.list', { accountIds: this.scope.accountIds, accountId });
      return new Map(prices.map((price) => [price.sku, price]));
    })),
  );

  private readonly catalogParts = new Map<keyof Catalog, Promise<Catalog[keyof Catalog]>>();

  /**
   * One part of the catalog (its regions, plans or images, retired ones included: instances keep
   * theirs), asked once per request and only where the request needs it: an instance's plan is one
   * call, not three.
   */
  catalog<Part extends keyof Catalog>(part: Part): Promise<Catalog[Part]> {
    let read = this.catalogParts.get(part);
    if (!read) this.catalogParts.set(part, (read = this.readCatalog(part)));
    return read as Promise<Catalog[Part]>;
  }

  private async readCatalog(part: keyof Catalog): Promise<Catalog[keyof Catalog]> {
    switch (part) {
      case 'regions':
        return byId(await this.client.call('compute.catalog.regions', {}));
      case 'plans':
        return byId(await this.client.call('compute.catalog.plans', { retired: true }));
      case 'images':
        return byId(await this.client.call('compute.catalog.images', { retired: true }));
    }
  }

  /** BAD_USER_INPUT naming `field` where the catalog has no region `id`. */
  async requireRegion(id: string, field: string): Promise<void> {
    if (!(await this.catalog('regions')).has(id)) throw AppError.badInput(field, `there is no region ${id}`);
  }

  async region(id: string): Promise<RegionView> {
    const region = (await this.catalog('regions')).get(id);
    if (!region) throw new AppError('INTERNAL', `compute knows no region ${id}`);
    return region;
  }

  /** Hosts by id (an instance's, for ADMIN); null where retired. */
  readonly host = new DataLoader<string, HostView | null>(async (ids) => {
    const rows = await this.client.call('compute.host.list', { ids: [...ids] });
    return inOrder(ids, rows, (row) => row.id, (found) => found[0] ?? null);
  }, { maxBatchSize: BATCH });

  private hostsRequest: Promise<Map<string, HostView>> | undefined;

  /** Every host, once per request: a tenant's history hides any host's name its free text may hold. */
  hosts(): Promise<Map<string, HostView>> {
    this.hostsRequest ??= this.client.call('compute.host.list', {}).then((hosts) => new Map(hosts.map((h) => [h.id, h])));
    return this.hostsRequest;
  }
}
